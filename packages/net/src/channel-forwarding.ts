import type { Endpoint } from './endpoint.js';
import type { UdpSocket } from './network.js';

/**
 * One route of a ChannelData fast path (TURN, RFC 8656 §12): ChannelData for `channel` from
 * `client`, arriving on the socket that offers the {@link ChannelForwarding}, is relayed to
 * `peer` from `relay` (its payload only), and datagrams from `peer` arriving on `relay` go to
 * `client` as ChannelData on that channel, for `ttlMs` from now, without reaching any handler.
 */
export interface ChannelRoute {
  /** The client's address and port, as the listening socket reports them. */
  readonly client: Endpoint;
  /** 0x4000-0x7FFF. */
  readonly channel: number;
  /** The relay socket; it must offer forwarding of the same kind (the same addon instance). */
  readonly relay: UdpSocket;
  readonly peer: Endpoint;
  /** How long the route forwards, in ms (> 0, at most a day); past it datagrams reach the handlers again. */
  readonly ttlMs: number;
}

/** What `setRoute` did: `ok`, or why the route is not installed (the caller keeps the handler path). */
export type ChannelRouteResult = 'ok' | 'table-full' | 'not-supported' | 'bad-route' | 'closed';

/** What a relay socket forwarded through the fast path since it opened. */
export interface ForwardedCounts {
  readonly packetsToPeers: number;
  /** Payload bytes (without the ChannelData header). */
  readonly bytesToPeers: number;
  readonly packetsToClients: number;
  readonly bytesToClients: number;
  /** Datagrams dropped because the sending socket's queue was over the fast path's bound. */
  readonly drops: number;
}

/**
 * A socket's ChannelData fast path (the Node adapter's batched-I/O addon offers it; `dgram` and
 * the virtual network do not): routes installed here are relayed inside the addon, with no call
 * into JS per datagram. Whatever matches no live route reaches the handlers unchanged. The caller
 * keeps the routes equal to what its own state allows (a TURN server: allocation, permission and
 * channel lifetimes); a route never outlives either of its sockets.
 */
export interface ChannelForwarding {
  /** Installs a route, or moves its deadline (shorter or longer) when it exists. */
  setRoute(route: ChannelRoute): ChannelRouteResult;
  /** Removes the route of `client` and `channel`; false when there was none. */
  deleteRoute(client: Endpoint, channel: number): boolean;
  /** This socket's counters as a relay socket. */
  forwarded(): ForwardedCounts;
}
