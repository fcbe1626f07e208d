import type { TurnTransport } from './allocate-relay.js';

export interface TurnUrlOptions {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** Default 'udp'; 'tls' gives a `turns:` URL. */
  readonly transport?: TurnTransport;
}

/**
 * A `turn:USER:PASS@HOST:PORT?transport=...` URL for clients that take credentials in the URL
 * (libdatachannel / node-datachannel). User and password are percent-encoded (RFC 3986 §3.2.1):
 * a raw URL is split at the FIRST colon, so a TURN REST user name `expiry:user` would lose its
 * second half to the password, and any `@` would end the userinfo. libdatachannel decodes `%XX`
 * in both since v0.17.2 (and leaves `+` alone), so every credential survives the trip.
 */
export function turnUrl(o: TurnUrlOptions): string {
  const transport = o.transport ?? 'udp';
  const scheme = transport === 'tls' ? 'turns' : 'turn';
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const query = transport === 'tcp' ? '?transport=tcp' : transport === 'udp' ? '?transport=udp' : '';
  return `${scheme}:${encodeURIComponent(o.username)}:${encodeURIComponent(o.password)}@${host}:${o.port}${query}`;
}
