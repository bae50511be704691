import { describe, expect, it } from 'vitest';
import { parseIp } from '../src/domain/ip';
import { buildNamespaceMap, namespaceOf, parseNamespaceMapJson } from '../src/domain/namespaces';

const map = (() => {
  const built = buildNamespaceMap({
    defaultNamespace: 'corp',
    ranges: [
      { cidr: '10.0.0.0/8', namespace: 'dc-frankfurt' },
      { cidr: '10.20.0.0/16', namespace: 'aws-vpc-prod' },
      { cidr: '10.20.5.0/24', namespace: 'aws-vpc-prod-dmz' },
      { cidr: '172.31.0.0/16', namespace: 'aws-default-vpc' },
      { cidr: 'fd00:1::/32', namespace: 'lab-v6' },
    ],
  });
  if (!built.ok) throw new Error(built.error.join());
  return built.value;
})();

describe('namespaceOf', () => {
  it.each([
    ['10.1.2.3', 'dc-frankfurt'],
    ['10.20.1.1', 'aws-vpc-prod'],
    ['10.20.5.9', 'aws-vpc-prod-dmz'], // longest prefix wins whatever the order given
    ['172.31.43.6', 'aws-default-vpc'],
    ['192.168.0.1', 'corp'], // unmapped private range -> default
    ['100.64.1.1', 'corp'],
    ['fd00:1:2::5', 'lab-v6'],
    ['fd00:2::5', 'corp'],
    ['::ffff:10.20.5.1', 'aws-vpc-prod-dmz'],
  ])('%s -> %s', (address, expected) => {
    const ip = parseIp(address);
    expect(ip).not.toBeNull();
    if (ip !== null) expect(namespaceOf(map, ip)).toBe(expected);
  });
});

describe('buildNamespaceMap', () => {
  it('uses "default" when no default is given', () => {
    const built = buildNamespaceMap({ ranges: [] });
    expect(built.ok && built.value.defaultNamespace).toBe('default');
  });
  it('reports bad CIDRs, empty names and conflicting duplicates by index', () => {
    const built = buildNamespaceMap({
      ranges: [
        { cidr: '10.0.0.0/8', namespace: 'a' },
        { cidr: '10.0.0.0/33', namespace: 'b' },
        { cidr: '10.1.0.0/16', namespace: ' ' },
        { cidr: '10.0.0.1/8', namespace: 'c' },
      ],
    });
    expect(built.ok).toBe(false);
    if (!built.ok) {
      expect(built.error).toEqual([
        'ranges[1]: "10.0.0.0/33" is not a CIDR block',
        'ranges[2]: namespace is empty',
        'ranges[3]: 10.0.0.0/8 is already mapped to "a"',
      ]);
    }
  });
});

describe('parseNamespaceMapJson', () => {
  it('parses the documented file format', () => {
    const parsed = parseNamespaceMapJson('{"default": "corp", "ranges": [{"cidr": "10.20.0.0/16", "namespace": "aws-vpc-prod"}]}');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.defaultNamespace).toBe('corp');
      expect(parsed.value.ranges.map((r) => [r.cidr.canonical, r.namespace])).toEqual([['10.20.0.0/16', 'aws-vpc-prod']]);
    }
  });
  it('gives the line of a JSON syntax error', () => {
    const parsed = parseNamespaceMapJson('{\n  "ranges": [\n    {"cidr": "10.0.0.0/8",, "namespace": "x"}\n  ]\n}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error[0]?.line).toBe(3);
  });
  it('names the field of a shape error', () => {
    const parsed = parseNamespaceMapJson('{"ranges": [{"cidr": 10}]}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.map((e) => e.message.split(':')[0])).toEqual(['ranges.0.cidr', 'ranges.0.namespace']);
  });
});
