import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIp } from './net';

describe('ip parsing', () => {
  it('parses v4 strictly', () => {
    expect(parseIp('203.0.113.7')).toEqual({ family: 4, value: 0xcb007107n });
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d']) expect(parseIp(bad)).toBeUndefined();
  });

  it('parses v6 with :: compression and embedded v4', () => {
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('2001:db8::')?.value).toBe(0x20010db8n << 96n);
    expect(parseIp('::ffff:1.2.3.4')?.value).toBe((0xffffn << 32n) | 0x01020304n);
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', ':::']) expect(parseIp(bad)).toBeUndefined();
  });

  it('matches CIDRs per family', () => {
    const cidr = parseCidr('10.0.0.0/8');
    const ip = parseIp('10.200.0.1');
    expect(cidr && ip && cidrContains(cidr, ip)).toBe(true);
    const v6 = parseIp('::a00:1');
    expect(cidr && v6 && cidrContains(cidr, v6)).toBe(false);
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, network: 0n, prefix: 0 });
  });
});
