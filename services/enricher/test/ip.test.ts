import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeIp, classifyIp, parseCidr, parseIp } from '../src/domain/ip';

describe('canonicalizeIp', () => {
  it.each([
    ['192.168.0.1', '192.168.0.1'],
    [' 10.0.0.1 ', '10.0.0.1'],
    ['225.01.00.16', '225.1.0.16'], // CloudTrail (stratus) writes leading zeros; read as decimal
    ['010.001.000.009', '10.1.0.9'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:192.0.2.128', '192.0.2.128'], // IPv4-mapped -> IPv4
    ['::FFFF:c000:0280', '192.0.2.128'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'], // NAT64 stays IPv6
    ['::192.0.2.1', '::c000:201'], // IPv4-compatible (deprecated) stays IPv6
    ['FC00:0:0:0:0:0:0:AbCd', 'fc00::abcd'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalizeIp(input)).toBe(expected);
  });

  it.each([
    '', ' ', 'AWS Internal', 'ec2.amazonaws.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '1.2.3.1234',
    '0x7f.0.0.1', '1.2.3.4/32', '1.2.3.4:80', '[::1]', 'fe80::1%eth0', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::', '12345::1', 'ab12:1:4:1:106b:2121:xz15:361a', '::ffff:1.2.3', '::ffff:256.0.0.1',
    ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', 'g::1', '1.2.3.4 5',
  ])('rejects %j', (input) => {
    expect(canonicalizeIp(input)).toBeNull();
  });
});

describe('classifyIp', () => {
  const classOf = (text: string): unknown => {
    const ip = parseIp(text);
    if (ip === null) throw new Error(`not an IP: ${text}`);
    const c = classifyIp(ip);
    return c.evidence ? c.scope : c.reason;
  };
  it.each([
    ['10.0.0.1', 'private'], ['10.255.255.255', 'private'], ['172.16.0.1', 'private'], ['172.31.255.1', 'private'],
    ['172.32.0.1', 'public'], ['172.15.255.255', 'public'], ['192.168.10.20', 'private'], ['192.169.0.1', 'public'],
    ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['100.128.0.1', 'public'], ['100.63.255.255', 'public'],
    ['8.8.8.8', 'public'], ['39.116.161.122', 'public'], ['192.0.2.10', 'public'], ['203.0.113.5', 'public'],
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'], ['225.1.0.16', 'multicast'], ['239.255.255.255', 'multicast'],
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'reserved'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'], ['::1', 'loopback'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['fec0::1', 'private'],
    ['2001:db8::1', 'public'], ['2600:1f18::1', 'public'], ['fe00::1', 'public'],
    ['::ffff:10.0.0.1', 'private'], ['::ffff:127.0.0.1', 'loopback'],
  ])('%s is %s', (input, expected) => {
    expect(classOf(input)).toBe(expected);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['172.31.43.6/20', '172.31.32.0/20'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:AB::/32', 'fd00:ab::/32'],
    ['fd00:ab:cd::1/40', 'fd00:ab::/40'],
  ])('%s -> %s', (input, expected) => {
    expect(parseCidr(input)?.canonical).toBe(expected);
  });
  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', 'x/8', '10.0.0.0/-1', '10.0.0.0/'])('rejects %j', (input) => {
    expect(parseCidr(input)).toBeNull();
  });
});

describe('canonicalization properties', () => {
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const group = fc.nat(0xffff);
  const ipv6Groups = fc.array(group, { minLength: 8, maxLength: 8 });
  /** Any textual form of an IPv6 address: padded or not, mixed case, with a random `::` run. */
  const ipv6Text = fc.tuple(ipv6Groups, fc.boolean(), fc.boolean(), fc.nat(8), fc.nat(8)).map(([groups, pad, upper, a, b]) => {
    const texts = groups.map((g) => {
      const hex = pad ? g.toString(16).padStart(4, '0') : g.toString(16);
      return upper ? hex.toUpperCase() : hex;
    });
    const start = Math.min(a, b);
    const end = Math.max(a, b);
    const runIsZero = end - start >= 1 && groups.slice(start, end).every((g) => g === 0);
    if (!runIsZero) return texts.join(':');
    return `${texts.slice(0, start).join(':')}::${texts.slice(end).join(':')}`;
  });
  const sparseGroups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), group), { minLength: 8, maxLength: 8 });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.oneof(ipv4, ipv6Text, sparseGroups.map((g) => g.map((x) => x.toString(16)).join(':'))), (text) => {
      const once = canonicalizeIp(text);
      expect(once).not.toBeNull();
      expect(canonicalizeIp(once ?? '')).toBe(once);
    }));
  });

  it('round-trips bytes: parse(canonical(x)) has the bytes of x', () => {
    fc.assert(fc.property(fc.oneof(ipv6Text, sparseGroups.map((g) => g.map((x) => x.toString(16)).join(':'))), (text) => {
      const parsed = parseIp(text);
      expect(parsed).not.toBeNull();
      if (parsed === null) return;
      const again = parseIp(parsed.canonical);
      expect(again?.bytes).toEqual(parsed.bytes);
      expect(again?.version).toBe(parsed.version);
    }));
  });

  it('IPv4 text survives unchanged and its mapped IPv6 form folds onto it', () => {
    fc.assert(fc.property(ipv4, (text) => {
      expect(canonicalizeIp(text)).toBe(text);
      expect(canonicalizeIp(`::ffff:${text}`)).toBe(text);
    }));
  });

  it('canonical IPv6 is lowercase, has no leading zeros and at most one "::"', () => {
    fc.assert(fc.property(sparseGroups, (groups) => {
      const canonical = canonicalizeIp(groups.map((g) => g.toString(16)).join(':')) ?? '';
      if (!canonical.includes(':')) return; // an IPv4-mapped address became IPv4
      expect(canonical).toBe(canonical.toLowerCase());
      expect(canonical.split('::').length).toBeLessThanOrEqual(2);
      for (const g of canonical.split(':')) if (g !== '') expect(g).toMatch(/^(0|[1-9a-f][0-9a-f]{0,3})$/);
    }));
  });

  it('never accepts arbitrary strings that are not addresses as something else', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const canonical = canonicalizeIp(text);
      if (canonical !== null) expect(canonicalizeIp(canonical)).toBe(canonical);
    }));
  });
});
