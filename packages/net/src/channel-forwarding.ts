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
  /** The allocation's bandwidth quota (from the same `createQuota`): a datagram over it reaches the handlers. */
  readonly quota?: ForwardingQuota | undefined;
}

/**
 * A bandwidth quota of the fast path: a byte token bucket per direction (`bytesPerSecond`
 * sustained, a burst of one second's worth, at least 64 KiB), shared by the routes that name it
 * and by the caller's own relaying (`take`), so that both paths together keep the one rate.
 */
export interface ForwardingQuota {
  /** Takes `bytes` from the bucket of `direction` now; false when over the rate (nothing taken). */
  take(direction: 'to-peer' | 'to-client', bytes: number): boolean;
  /** Frees it (idempotent); routes still naming it hand their datagrams to the handlers. */
  close(): void;
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
  /** A new bandwidth quota for routes of this socket (undefined when the table of quotas is full). */
  createQuota(bytesPerSecond: number): ForwardingQuota | undefined;
}
