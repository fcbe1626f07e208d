import { familyOf, isSameEndpoint, type Endpoint, type Family, type UdpSocket } from '@natkit/net';

/**
 * How a datagram reaches the peer: straight from our UDP socket (`socket`), or through our own
 * TURN allocation (`allocation`). Replies go back the way a packet came.
 */
export interface Route {
  readonly via: 'socket' | 'allocation';
  readonly to: Endpoint;
  /**
   * With `via: 'socket'`: the socket to send from when it is not the peer's main one (a birthday
   * extra socket whose NAT mapping the punch opened; the connection keeps it and closes it).
   */
  readonly socket?: UdpSocket;
}

/** The path a connection's data takes now. */
export type ConnectionPath =
  /** `family`: 6 for a direct IPv6 path (a dual-stack pair, see PeerOptions.server6), else 4. */
  | { readonly kind: 'direct'; readonly local: Endpoint; readonly remote: Endpoint; readonly family: Family }
  /** `relay`: the relayed address carrying the data (the peer's, or ours); `transport`: our leg to the relay; `family`: the relayed address's. */
  | { readonly kind: 'relay'; readonly relay: Endpoint; readonly transport: 'udp' | 'tcp' | 'tls'; readonly remote: Endpoint; readonly family: Family };

/** The family of an address (4 for anything that is not an IPv6 literal). */
export function familyOfEndpoint(e: Endpoint): Family {
  return familyOf(e.address) ?? 4;
}

/** The path of a direct route from `local` (our socket's address for its family); punchlink: a route from a socket the punch opened (birthday) leaves from that socket's port. */
export function directPath(route: Route, local: Endpoint): ConnectionPath {
  return { kind: 'direct', local: route.socket === undefined ? local : { address: local.address, port: route.socket.local.port }, remote: route.to, family: familyOfEndpoint(route.to) };
}

/** A route is relayed when it uses our allocation or targets one of the peer's relay candidates. */
export function isRelayRoute(route: Route, peerRelays: readonly Endpoint[]): boolean {
  return route.via === 'allocation' || peerRelays.some((r) => isSameEndpoint(r, route.to));
}

export function sameRoute(a: Route | null, b: Route): boolean {
  return a !== null && a.via === b.via && a.socket === b.socket && isSameEndpoint(a.to, b.to);
}
