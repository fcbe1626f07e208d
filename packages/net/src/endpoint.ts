import { isIP, SocketAddress } from 'node:net';

/** IP address family: 4 or 6. */
export type Family = 4 | 6;

/**
 * A transport address: an IP address literal and a UDP port.
 * IPv6 addresses are written without brackets (`2001:db8::1`), IPv4 as dotted quads.
 */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** The family of an IP literal, or undefined when it is not one. */
export function familyOf(address: string): Family | undefined {
  const v = isIP(address);
  return v === 4 ? 4 : v === 6 ? 6 : undefined;
}

/** `1.2.3.4:5` or `[2001:db8::1]:5`: a stable string key for maps and logs. */
export function formatEndpoint(e: Endpoint): string {
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Same address and port (address compared as text after normalisation). */
export function isSameEndpoint(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.port === b.port && normalizeAddress(a.address) === normalizeAddress(b.address);
}

/**
 * Canonical text of an IP literal: RFC 5952 for IPv6 (lower case, longest zero run compressed,
 * as sockets report addresses), with an IPv4-mapped prefix stripped (`::ffff:1.2.3.4` becomes
 * `1.2.3.4`). Anything that is not an IP literal is returned lower-cased.
 */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  if (isIP(lower) !== 6) return lower;
  try {
    return new SocketAddress({ address: lower, family: 'ipv6' }).address;
  } catch {
    return lower;
  }
}

export type ParseEndpointResult =
  | { ok: true; host: string; port: number }
  | { ok: false; reason: string };

/**
 * Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal.
 * The host may be a name; resolving it is the caller's business.
 */
export function parseHostPort(input: string, defaultPort: number): ParseEndpointResult {
  const s = input.trim();
  if (s.length === 0 || s.length > 300) return { ok: false, reason: 'empty or over-long address' };
  let host: string;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { ok: false, reason: `missing ']' in ${s}` };
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) return { ok: false, reason: `unexpected text after ']' in ${s}` };
      portText = rest.slice(1);
    }
    if (familyOf(host) !== 6) return { ok: false, reason: `not an IPv6 literal: ${host}` };
  } else if (familyOf(s) === 6) {
    host = s;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    } else {
      host = s;
    }
  }
  if (host.length === 0) return { ok: false, reason: `missing host in ${s}` };
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: `bad port '${portText}'` };
    port = Number(portText);
    if (port < 1 || port > 65535) return { ok: false, reason: `port out of range: ${port}` };
  }
  return { ok: true, host, port };
}

/** The wildcard address of a family. */
export function anyAddress(family: Family): string {
  return family === 4 ? '0.0.0.0' : '::';
}
