import type { ChannelForwarding } from './channel-forwarding.js';
import type { Endpoint, Family } from './endpoint.js';

/** Called for each datagram received; `data` is only valid during the call unless copied. */
export type MessageHandler = (data: Uint8Array, from: Endpoint) => void;

/**
 * A bound UDP socket. One socket may carry STUN, punching, relay traffic and data at once:
 * several handlers can listen, and each decides by the first byte (RFC 7983) whether a datagram
 * is its own.
 */
export interface UdpSocket {
  /** The bound local address and port (the wildcard address if bound to it). */
  readonly local: Endpoint;
  readonly family: Family;
  /**
   * Sends one datagram. Fire and forget, like UDP itself: a send error (unreachable network,
   * socket closed) is reported to the error handlers and never thrown. `to` must be an IP
   * literal of the socket's family (host names are not resolved) and a port in 1-65535, else
   * the handlers get `ERR_BAD_ADDRESS` / `ERR_BAD_PORT` and nothing is sent: the same on every
   * `Network` implementation.
   */
  send(data: Uint8Array, to: Endpoint): void;
  /** Adds a receive handler; returns a function that removes it. */
  onMessage(handler: MessageHandler): () => void;
  /** Adds an error handler (send errors, ICMP errors the OS reports); returns its remover. */
  onError(handler: (error: Error) => void): () => void;
  /**
   * Send-queue counters, where the implementation has a queue (the Node adapter does: datagrams
   * that do not fit its bound are dropped and counted there, see `NodeNetworkOptions`).
   */
  stats?(): UdpSocketStats;
  /**
   * The ChannelData fast path, where the implementation has one (the Node adapter with the
   * batched-I/O addon, unless `NATKIT_RELAY_OFFLOAD=0`); see {@link ChannelForwarding}.
   */
  readonly channelForwarding?: ChannelForwarding | undefined;
  /** Closes the socket; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Counters of one socket's send queue. */
export interface UdpSocketStats {
  /** Payload bytes waiting to leave now. */
  readonly sendQueueBytes: number;
  /** Datagrams dropped because the send queue was full (a congested uplink). */
  readonly sendQueueDrops: number;
  /** Payload bytes of those datagrams. */
  readonly sendQueueDroppedBytes: number;
}

export interface BindOptions {
  readonly family: Family;
  /** Local address; the family's wildcard when omitted. */
  readonly address?: string;
  /** Local port; 0 or omitted picks a free one. */
  readonly port?: number;
  /**
   * Connect the socket to one peer: it then receives only that peer's datagrams and sends only to
   * it, and the OS reports ICMP errors for it (port unreachable arrives as an error with code
   * `ECONNREFUSED`), which unconnected sockets never see.
   */
  readonly connect?: Endpoint;
}

/**
 * Opens sockets. Implemented by the Node adapter (`createNodeNetwork`) and by the virtual
 * network in packages/vnet, so that the same protocol code runs over both.
 */
export interface Network {
  /**
   * Binds a UDP socket. Rejects with NetworkError `ERR_BAD_OPTION` (family not 4 or 6),
   * `ERR_BAD_PORT` (not an integer in 0-65535), `ERR_BAD_ADDRESS` (not an IP literal of the
   * family; `connect` as for `send`), or `ERR_BIND` / `ERR_CONNECT`.
   */
  bindUdp(options: BindOptions): Promise<UdpSocket>;
  /**
   * The local address the system would use to reach `remote`, without sending anything
   * (undefined when there is no route). Used to tell whether an address was translated.
   */
  localAddressFor(remote: Endpoint): Promise<string | undefined>;
  /**
   * The addresses of this host's interfaces now, where the implementation can tell (the Node
   * adapter reads them from the OS). A listener set binds one socket per address with it, so that
   * every answer leaves from the address its request came to.
   */
  interfaceAddresses?(): readonly InterfaceAddress[];
}

/** One address of a local interface. */
export interface InterfaceAddress {
  readonly address: string;
  readonly family: Family;
  /** The interface's name (`lo`, `eth0`). */
  readonly interface: string;
  /** True for loopback. */
  readonly internal: boolean;
}
