/**
 * Minimal, strict IP parsing and classification (no node:net in the domain). Addresses become
 * bigints so CIDR tests are one mask comparison for both families.
 */
export interface ParsedIp {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export const parseIpv4 = (text: string): bigint | undefined => {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
};

const parseGroups = (text: string): number[] | undefined => {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      continue;
    }
    if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
};

export const parseIpv6 = (text: string): bigint | undefined => {
  const zoneless = text.split('%')[0] ?? '';
  const halves = zoneless.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
};

export const parseIp = (text: string): ParsedIp | undefined => {
  const trimmed = text.trim();
  if (trimmed.includes(':')) {
    const value = parseIpv6(trimmed);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(trimmed);
  return value === undefined ? undefined : { family: 4, value };
};

export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

export const parseCidr = (text: string): Cidr | undefined => {
  const [addressText, prefixText] = text.split('/');
  const address = parseIp(addressText ?? '');
  if (address === undefined) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  return { family: address.family, network: maskTo(address.value, prefix, bits), prefix };
};

const maskTo = (value: bigint, prefix: number, bits: number): bigint =>
  prefix === 0 ? 0n : (value >> BigInt(bits - prefix)) << BigInt(bits - prefix);

export const cidrContains = (cidr: Cidr, ip: ParsedIp): boolean => {
  if (cidr.family !== ip.family) return false;
  const bits = ip.family === 4 ? 32 : 128;
  return maskTo(ip.value, cidr.prefix, bits) === cidr.network;
};

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is classified as the IPv4 address it carries. */
const unmapped = (ip: ParsedIp): ParsedIp =>
  ip.family === 6 && ip.value >> 32n === 0xffffn ? { family: 4, value: ip.value & 0xffffffffn } : ip;

const SPECIAL_RANGES: ReadonlyArray<readonly [string, NonRoutableReason]> = [
  ['0.0.0.0/32', 'unspecified'],
  ['255.255.255.255/32', 'broadcast'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

export type NonRoutableReason = 'unspecified' | 'broadcast' | 'loopback' | 'link-local' | 'multicast';

const specialCidrs: ReadonlyArray<readonly [Cidr, NonRoutableReason]> = SPECIAL_RANGES.map(([text, reason]) => {
  const cidr = parseCidr(text);
  if (cidr === undefined) throw new Error(`bad built-in CIDR ${text}`);
  return [cidr, reason] as const;
});

/** Why an address can never be evidence of a common cause, or undefined if it can. */
export const nonRoutableReason = (ip: ParsedIp): NonRoutableReason | undefined => {
  const candidate = unmapped(ip);
  return specialCidrs.find(([cidr]) => cidrContains(cidr, candidate))?.[1];
};

export const matchesAny = (cidrs: readonly Cidr[], ip: ParsedIp): boolean => {
  const candidate = unmapped(ip);
  return cidrs.some((cidr) => cidrContains(cidr, candidate) || cidrContains(cidr, ip));
};
