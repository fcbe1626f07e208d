import { isIPv4, isIPv6 } from 'node:net';
import type { Family } from '@natkit/net';
import { VnetError } from '../errors.js';

/** Parses a dotted quad to an unsigned 32-bit number, or undefined. */
export function parseIPv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  const p = text.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Parses any IPv6 text form (including an embedded IPv4 tail) to a 128-bit bigint. */
export function parseIPv6(text: string): bigint | undefined {
  if (!isIPv6(text)) return undefined;
  let body = text.toLowerCase();
  if (body.includes('.')) {
    const c = body.lastIndexOf(':');
    const v4 = parseIPv4(body.slice(c + 1));
    if (v4 === undefined) return undefined;
    body = `${body.slice(0, c + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const gap = body.indexOf('::');
  const head = gap >= 0 ? body.slice(0, gap) : body;
  const tail = gap >= 0 ? body.slice(gap + 2) : '';
  const hg = head.length > 0 ? head.split(':') : [];
  const tg = tail.length > 0 ? tail.split(':') : [];
  const fill = gap >= 0 ? 8 - hg.length - tg.length : 0;
  const groups = [...hg, ...new Array<string>(Math.max(0, fill)).fill('0'), ...tg];
  if (groups.length !== 8) return undefined;
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return value;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of zero groups as `::`. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const canonicalCache = new Map<string, string | null>();
const CANONICAL_CACHE_LIMIT = 4096;

/**
 * The canonical text of an IP literal (IPv6 per RFC 5952), or undefined when `text` is not one.
 * Results are cached (bounded), since this runs on every send to a new destination.
 */
export function canonicalAddress(text: string): string | undefined {
  const hit = canonicalCache.get(text);
  if (hit !== undefined) return hit ?? undefined;
  let result: string | null = null;
  if (isIPv4(text)) result = text;
  else {
    const v6 = parseIPv6(text);
    if (v6 !== undefined) result = formatIPv6(v6);
  }
  if (canonicalCache.size >= CANONICAL_CACHE_LIMIT) canonicalCache.clear();
  canonicalCache.set(text, result);
  return result ?? undefined;
}

/** Family of a canonical literal: IPv6 literals are the ones with a colon. */
export function familyOfCanonical(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** An IP prefix such as `100.64.1.0/24` or `2001:db8::/32`. */
export interface Cidr {
  readonly family: Family;
  readonly network: bigint;
  readonly prefix: number;
  readonly text: string;
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : '';
  const prefix = Number(text.slice(slash + 1));
  const v4 = parseIPv4(addr);
  const family: Family = v4 !== undefined ? 4 : 6;
  const value = v4 !== undefined ? BigInt(v4) : parseIPv6(addr);
  const bits = family === 4 ? 32 : 128;
  if (value === undefined || slash < 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new VnetError('ERR_VNET_CONFIG', `not a CIDR prefix: '${text}'`);
  }
  const hostBits = BigInt(bits - prefix);
  const network = (value >> hostBits) << hostBits;
  return { family, network, prefix, text: `${formatAddress(family, network)}/${prefix}` };
}

/** The `index`-th address of a prefix, or undefined past its end. */
export function cidrAddress(cidr: Cidr, index: bigint): string | undefined {
  const size = 1n << BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  if (index < 0n || index >= size) return undefined;
  return formatAddress(cidr.family, cidr.network + index);
}

export function cidrContains(cidr: Cidr, address: string): boolean {
  const value = cidr.family === 4 ? toBig(parseIPv4(address)) : parseIPv6(address);
  if (value === undefined) return false;
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return value >> hostBits === cidr.network >> hostBits;
}

function toBig(v: number | undefined): bigint | undefined {
  return v === undefined ? undefined : BigInt(v);
}

function formatAddress(family: Family, value: bigint): string {
  return family === 4 ? formatIPv4(Number(value)) : formatIPv6(value);
}

/** 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}
