// Minimal IPv4/IPv6 parsing for CIDR membership (scanner ranges). Addresses are 8 x 16-bit words;
// IPv4 and IPv4-mapped IPv6 both live in the ::ffff:0:0/96 space, so one comparison covers both.

export type IpWords = readonly number[];

export interface Cidr {
  readonly words: IpWords;
  readonly prefix: number;
}

/** Dotted quad without allocating intermediate strings (this runs for every actor address). */
function parseIpv4(text: string): number[] | null {
  let octet = 0;
  let digits = 0;
  let parts = 0;
  let high = 0;
  let low = 0;
  for (let i = 0; i <= text.length; i += 1) {
    const ch = i < text.length ? text.charCodeAt(i) : 46; /* a final '.' closes the last octet */
    if (ch >= 48 && ch <= 57) {
      octet = octet * 10 + (ch - 48);
      digits += 1;
      if (digits > 3 || octet > 255) return null;
    } else if (ch === 46) {
      if (digits === 0 || parts === 4) return null;
      if (parts < 2) high = (high << 8) | octet;
      else low = (low << 8) | octet;
      parts += 1;
      octet = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  return parts === 4 ? [0, 0, 0, 0, 0, 0xffff, high, low] : null;
}

function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string | undefined): number[] | null => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [index, part] of parts.entries()) {
      if (part.includes('.') && index === parts.length - 1) {
        const v4 = parseIpv4(part);
        if (v4 === null) return null;
        out.push(v4[6] ?? 0, v4[7] ?? 0);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** Parses an address; null when it is not one. Zone ids (`%eth0`) are ignored. */
export function parseIp(text: string): IpWords | null {
  const trimmed = text.trim();
  const zone = trimmed.indexOf('%');
  const bare = zone >= 0 ? trimmed.slice(0, zone) : trimmed;
  return bare.includes(':') ? parseIpv6(bare) : parseIpv4(bare);
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (full-length prefix). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const address = slash >= 0 ? text.slice(0, slash) : text;
  const words = parseIp(address);
  if (words === null) return null;
  const isV4 = !address.includes(':');
  const lengthText = slash >= 0 ? text.slice(slash + 1) : null;
  if (lengthText !== null && !/^\d{1,3}$/.test(lengthText)) return null;
  const max = isV4 ? 32 : 128;
  const length = lengthText === null ? max : Number(lengthText);
  if (length > max) return null;
  return { words, prefix: isV4 ? 96 + length : length };
}

export function cidrContains(cidr: Cidr, address: IpWords): boolean {
  let remaining = cidr.prefix;
  for (let i = 0; i < 8 && remaining > 0; i += 1) {
    const bits = remaining >= 16 ? 16 : remaining;
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((cidr.words[i] ?? 0) & mask) !== ((address[i] ?? 0) & mask)) return false;
    remaining -= bits;
  }
  return true;
}
