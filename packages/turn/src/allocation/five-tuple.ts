import { formatEndpoint, normalizeAddress, type Endpoint } from '@natkit/net';

/**
 * The 5-tuple that names an allocation: client address, server address and transport
 * (RFC 8656 §2). Stream transports add the connection id: a reconnect from the same client
 * port is a new control connection.
 */
export interface FiveTuple {
  readonly transport: 'udp' | 'tcp' | 'tls';
  readonly client: Endpoint;
  readonly local: Endpoint;
  readonly connectionId?: number;
}

/** A stable string key of a 5-tuple for maps. */
export function fiveTupleKey(t: FiveTuple): string {
  const client = formatEndpoint({ address: normalizeAddress(t.client.address), port: t.client.port });
  const local = formatEndpoint({ address: normalizeAddress(t.local.address), port: t.local.port });
  return `${t.transport}|${client}|${local}|${t.connectionId ?? ''}`;
}

/** Key of a peer IP for permissions (RFC 8656 §9: permissions are per IP, ports ignored). */
export function peerIpKey(address: string): string {
  return normalizeAddress(address);
}

/** Key of a peer transport address for channel bindings. */
export function peerEndpointKey(e: Endpoint): string {
  return formatEndpoint({ address: normalizeAddress(e.address), port: e.port });
}
