import { parseIp } from '@natkit/stun';

/** An address range: network bytes (4 or 16) and a prefix length. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** The text it was parsed from (for messages). */
  readonly text: string;
}

/** Parses `a.b.c.d/n`, `v6/n` or a bare address (a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(address.trim());
  if (bytes === undefined) return undefined;
  const max = bytes.length * 8;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { bytes, prefix, text };
}

/** Parses a CIDR known to be valid (for built-in tables). */
export function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (c === undefined) throw new RangeError(`bad built-in CIDR ${text}`);
  return c;
}

/** True when `ip` (4 or 16 bytes) lies in `range` of the same family. */
export function inCidr(ip: Uint8Array, range: Cidr): boolean {
  if (ip.length !== range.bytes.length) return false;
  const full = range.prefix >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== range.bytes[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip[full] ?? 0) & mask) === ((range.bytes[full] ?? 0) & mask);
}
