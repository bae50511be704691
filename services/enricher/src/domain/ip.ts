/**
 * IP parsing, canonicalization and classification. Pure code, no IP library: the rules Seam needs
 * (IPv4-mapped IPv6 folded to IPv4, RFC 5952 output, a fixed list of special ranges) are short,
 * and owning them keeps the canonical form a contract we can test exhaustively.
 */

export type IpVersion = 4 | 6;

/** A parsed address: its bytes (4 or 16) and its canonical text. */
export interface ParsedIp {
  readonly version: IpVersion;
  readonly bytes: readonly number[];
  readonly canonical: string;
}

export type NonEvidenceReason =
  | 'unspecified'
  | 'loopback'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/**
 * Evidence addresses are public or private; the rest can never link two events (a loopback or a
 * multicast group says nothing about a common cause).
 */
export type IpClass =
  | { readonly evidence: true; readonly scope: 'public' | 'private'; readonly range: string }
  | { readonly evidence: false; readonly reason: NonEvidenceReason };

const IPV4_OCTET = /^\d{1,3}$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Dotted-quad IPv4. Octets with leading zeros are read as decimal (CloudTrail writes `225.01.00.16`
 * in the wild; AWS never means octal there). Anything else, hex or short forms, is rejected.
 */
function parseIpv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!IPV4_OCTET.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

function parseIpv6Bytes(text: string): number[] | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tailV4: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) takes the last two groups.
  const lastColon = head.lastIndexOf(':');
  if (lastColon >= 0 && head.includes('.', lastColon)) {
    const v4 = parseIpv4Bytes(head.slice(lastColon + 1));
    if (v4 === null) return null;
    tailV4 = v4;
    head = head.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "ffff:1.2.3.4" leaves "ffff:"; a lone trailing ':' needs a group.
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tailV4.length === 4 ? 6 : 8;
  const doubleColon = head.indexOf('::');
  if (doubleColon !== head.lastIndexOf('::')) return null;
  const splitGroups = (part: string): string[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    return groups.every((g) => IPV6_GROUP.test(g)) ? groups : null;
  };
  let groups: string[];
  if (doubleColon >= 0) {
    const left = splitGroups(head.slice(0, doubleColon));
    const right = splitGroups(head.slice(doubleColon + 2));
    if (left === null || right === null) return null;
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...Array<string>(missing).fill('0'), ...right];
  } else {
    const all = splitGroups(head);
    if (all === null || all.length !== groupsWanted) return null;
    groups = all;
  }
  const bytes: number[] = [];
  for (const group of groups) {
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return [...bytes, ...tailV4];
}

function formatIpv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as '::'. */
function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}

function isIpv4Mapped(bytes: readonly number[]): boolean {
  for (let i = 0; i < 10; i += 1) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address written as text. Surrounding whitespace is ignored; zone ids,
 * brackets, ports, CIDR suffixes and host names are rejected (null). IPv4-mapped IPv6
 * (::ffff:a.b.c.d) comes back as the IPv4 address it carries.
 */
export function parseIp(text: string): ParsedIp | null {
  const trimmed = text.trim();
  if (trimmed.includes(':')) {
    const bytes = parseIpv6Bytes(trimmed);
    if (bytes === null || bytes.length !== 16) return null;
    if (isIpv4Mapped(bytes)) {
      const v4 = bytes.slice(12);
      return { version: 4, bytes: v4, canonical: formatIpv4(v4) };
    }
    return { version: 6, bytes, canonical: formatIpv6(bytes) };
  }
  const bytes = parseIpv4Bytes(trimmed);
  if (bytes === null) return null;
  return { version: 4, bytes, canonical: formatIpv4(bytes) };
}

/** Canonical text of an address, or null when the text is not an IP address. */
export function canonicalizeIp(text: string): string | null {
  return parseIp(text)?.canonical ?? null;
}

/** True when the first `prefixLength` bits of `bytes` equal those of `network`. */
export function matchesPrefix(
  bytes: readonly number[],
  network: readonly number[],
  prefixLength: number,
): boolean {
  if (bytes.length !== network.length) return false;
  let bitsLeft = prefixLength;
  for (let i = 0; bitsLeft > 0; i += 1) {
    const take = Math.min(8, bitsLeft);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((network[i] ?? 0) & mask)) return false;
    bitsLeft -= take;
  }
  return true;
}

interface SpecialRange {
  readonly network: readonly number[];
  readonly prefix: number;
  readonly name: string;
  readonly class: IpClass;
}

const v4 = (a: number, b: number, c: number, d: number): number[] => [a, b, c, d];
const v6 = (first: number, second = 0): number[] => [
  first >> 8, first & 0xff, second >> 8, second & 0xff, ...Array<number>(12).fill(0),
];
const nonEvidence = (reason: NonEvidenceReason): IpClass => ({ evidence: false, reason });
const privateRange = (range: string): IpClass => ({ evidence: true, scope: 'private', range });

// Order matters only where ranges nest (0.0.0.0/32 before 0.0.0.0/8); otherwise they are disjoint.
// Documentation ranges (192.0.2.0/24, 2001:db8::/32, ...) stay public so that examples and tests
// behave like real internet addresses.
const SPECIAL_V4: readonly SpecialRange[] = [
  { network: v4(0, 0, 0, 0), prefix: 32, name: 'unspecified', class: nonEvidence('unspecified') },
  { network: v4(0, 0, 0, 0), prefix: 8, name: 'this-network', class: nonEvidence('reserved') },
  { network: v4(10, 0, 0, 0), prefix: 8, name: 'rfc1918', class: privateRange('rfc1918') },
  { network: v4(172, 16, 0, 0), prefix: 12, name: 'rfc1918', class: privateRange('rfc1918') },
  { network: v4(192, 168, 0, 0), prefix: 16, name: 'rfc1918', class: privateRange('rfc1918') },
  { network: v4(100, 64, 0, 0), prefix: 10, name: 'cgnat', class: privateRange('rfc6598') },
  { network: v4(127, 0, 0, 0), prefix: 8, name: 'loopback', class: nonEvidence('loopback') },
  { network: v4(169, 254, 0, 0), prefix: 16, name: 'link-local', class: nonEvidence('link-local') },
  { network: v4(224, 0, 0, 0), prefix: 4, name: 'multicast', class: nonEvidence('multicast') },
  { network: v4(255, 255, 255, 255), prefix: 32, name: 'broadcast', class: nonEvidence('broadcast') },
  { network: v4(240, 0, 0, 0), prefix: 4, name: 'reserved', class: nonEvidence('reserved') },
];

const SPECIAL_V6: readonly SpecialRange[] = [
  { network: v6(0), prefix: 128, name: 'unspecified', class: nonEvidence('unspecified') },
  {
    network: [...Array<number>(15).fill(0), 1], prefix: 128, name: 'loopback',
    class: nonEvidence('loopback'),
  },
  { network: v6(0xfe80), prefix: 10, name: 'link-local', class: nonEvidence('link-local') },
  { network: v6(0xff00), prefix: 8, name: 'multicast', class: nonEvidence('multicast') },
  { network: v6(0xfc00), prefix: 7, name: 'unique-local', class: privateRange('unique-local') },
  { network: v6(0xfec0), prefix: 10, name: 'site-local', class: privateRange('site-local') },
];

const PUBLIC: IpClass = { evidence: true, scope: 'public', range: 'public' };

/** Classifies a parsed address: public, private (RFC 1918, RFC 6598, fc00::/7) or non-evidence. */
export function classifyIp(ip: ParsedIp): IpClass {
  const table = ip.version === 4 ? SPECIAL_V4 : SPECIAL_V6;
  for (const range of table) {
    if (matchesPrefix(ip.bytes, range.network, range.prefix)) return range.class;
  }
  return PUBLIC;
}

/** A CIDR block, parsed. The network bytes are masked to the prefix. */
export interface Cidr {
  readonly version: IpVersion;
  readonly network: readonly number[];
  readonly prefix: number;
  readonly canonical: string;
}

/** Parses `a.b.c.d/n` or `x::/n`. An IPv4-mapped IPv6 block is not accepted (write it as IPv4). */
export function parseCidr(text: string): Cidr | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash < 0) return null;
  const prefixText = trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const addressText = trimmed.slice(0, slash);
  const version: IpVersion = addressText.includes(':') ? 6 : 4;
  const bytes = version === 4 ? parseIpv4Bytes(addressText) : parseIpv6Bytes(addressText);
  if (bytes === null || bytes.length !== (version === 4 ? 4 : 16)) return null;
  if (prefix > bytes.length * 8) return null;
  const network = bytes.map((byte, i) => {
    const bitsBefore = i * 8;
    if (prefix >= bitsBefore + 8) return byte;
    if (prefix <= bitsBefore) return 0;
    return byte & ((0xff << (8 - (prefix - bitsBefore))) & 0xff);
  });
  const address = version === 4 ? formatIpv4(network) : formatIpv6(network);
  return { version, network, prefix, canonical: `${address}/${prefix}` };
}
