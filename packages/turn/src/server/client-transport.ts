import type { Endpoint } from '@natkit/net';

/** The transport between a TURN client and the server. RFC 8656 §3.1 */
export type ClientTransport = 'udp' | 'tcp' | 'tls';

/**
 * What the server knows about where a client message came from and how to answer it.
 *
 * The 5-tuple of RFC 8656 §2 is (transport, client, local): it keys allocations (437 for a
 * second Allocate on the same 5-tuple). For TCP/TLS, `connectionId` must be unique per
 * connection for the life of the server (a counter is fine): the server keys stream
 * allocations by it as well, because a new connection may reuse the client port of a closed one.
 */
export interface ClientContext {
  readonly transport: ClientTransport;
  /** The client's address and port as seen by the server (the remote end of the socket). */
  readonly client: Endpoint;
  /** The server's address and port the message arrived on (the local end). */
  readonly local: Endpoint;
  /**
   * Sends bytes back to the client on the same 5-tuple: a whole STUN message or a whole
   * ChannelData message. Fire and forget; never throws. Over TCP/TLS the server pads
   * ChannelData to 4 bytes itself (RFC 8656 §12.5), so `reply` only writes bytes as given.
   */
  reply(bytes: Uint8Array): void;
  /** Stream transports: an id unique per connection. Omitted for UDP. */
  readonly connectionId?: number;
}

/**
 * The transport-agnostic entry of the TURN server: the contract between the server core and
 * the listeners (UDP sockets, and the TCP/TLS listeners of the transport layer).
 *
 * - UDP: the server attaches to `UdpSocket`s itself (`TurnServer.attachUdpSocket`), demuxes by
 *   first byte (RFC 7983: 0-3 STUN, 64-79 ChannelData) and calls `handleClientData` with
 *   `transport: 'udp'` and a `reply` that sends on that socket. Binding requests are left to
 *   the STUN server sharing the socket (`handleClientData` ignores them and returns false).
 * - TCP/TLS: the listener splits the byte stream into messages (RFC 8656 §12.5 framing:
 *   STUN messages by their length field, ChannelData by its length rounded up to 4) and calls
 *   `handleClientData` once per complete message, with one `ClientContext` object per
 *   connection (same `connectionId` every time). When the connection closes, for any reason,
 *   it calls `connectionClosed(ctx)` once: RFC 8656 §3.1 says closing the control connection
 *   deletes its allocation. A listener that also serves plain STUN Binding on the stream
 *   answers those itself when `handleClientData` returns false.
 *
 * Both methods never throw and do their work synchronously (replies may be sent before they
 * return). `bytes` is only read during the call; the server copies what it keeps.
 */
export interface TurnClientHandler {
  /**
   * Handles one message from a client: a TURN request or indication, or ChannelData.
   * Returns true when the message was TURN's (answered, relayed or dropped as bad TURN),
   * false when it is not TURN at all (a Binding request, or not STUN/ChannelData), so that the
   * caller may hand it to another protocol.
   */
  handleClientData(bytes: Uint8Array, ctx: ClientContext): boolean;
  /** A TCP/TLS control connection closed: its allocation (if any) is deleted at once. */
  connectionClosed(ctx: ClientContext): void;
}
