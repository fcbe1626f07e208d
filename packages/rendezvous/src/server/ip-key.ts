import { familyOf, normalizeAddress } from '@natkit/net';

/**
 * The key per-IP limits count under: the IPv4 address, or the /64 of an IPv6 address (one
 * subscriber usually holds a whole /64, RFC 6177 §2).
 */
export function ipLimitKey(address: string): string {
  const normalized = normalizeAddress(address);
  if (familyOf(normalized) !== 6) return normalized;
  return `${expandIpv6(normalized).slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...zeros, ...right];
}
