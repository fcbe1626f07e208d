import type { Endpoint, Family } from './endpoint.js';

/** Called with each chunk read from a stream; chunk boundaries mean nothing (TCP is a byte stream). */
export type DataHandler = (data: Uint8Array) => void;

/** What `write` did with the bytes. */
export type WriteResult = 'queued' | 'dropped' | 'closed';

/**
 * What a connection does when a write would take its unsent bytes past `maxWriteBuffer`:
 * `drop` discards that whole write (datagram semantics: a relay loses a packet, as UDP would),
 * `close` destroys the connection. Either way a slow reader never makes the writer queue without
 * bound.
 */
export type OverflowPolicy = 'drop' | 'close';

/** Write-side limits of a connection. */
export interface StreamLimits {
  /** Most bytes queued and not yet taken by the OS; 1 MiB when omitted. */
  readonly maxWriteBuffer?: number;
  /** `close` when omitted. */
  readonly overflow?: OverflowPolicy;
}

/** Counters of one connection. */
export interface StreamStats {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Writes discarded by the `drop` overflow policy. */
  readonly writesDropped: number;
}

/**
 * One TCP (or TLS) connection. Bytes in arrive through `onData`; bytes out go through `write`,
 * whose queue is bounded (see `StreamLimits`).
 */
export interface StreamConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** True once TLS protects the connection. */
  readonly secure: boolean;
  /** Bytes written but not yet taken by the OS. */
  readonly bufferedBytes: number;
  readonly closed: boolean;
  /** Queues whole `data`, or drops it whole, or closes the connection (never a partial write). */
  write(data: Uint8Array): WriteResult;
  /**
   * Adds a data handler; returns its remover. A chunk goes to the handlers registered when it
   * arrived: one added while a chunk is delivered sees only later chunks.
   */
  onData(handler: DataHandler): () => void;
  /** Called once when the connection is gone, with the error that ended it, if any. */
  onClose(handler: (error?: Error) => void): () => void;
  stats(): StreamStats;
  /** Flushes what is queued (at most `graceMs`, 1 s by default) and closes; idempotent. */
  close(graceMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Server certificate and key, PEM. */
export interface TlsServerOptions {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
}

/** Client-side TLS: trust `ca` (PEM) instead of the system roots; check the name `servername`. */
export interface TlsClientOptions {
  readonly ca?: string | Uint8Array;
  readonly servername?: string;
  /** Accept any certificate (tests, diagnosis of self-signed servers); false by default. */
  readonly insecure?: boolean;
}

/**
 * An accepted connection before anything is decided about it: it can still become a TLS server
 * connection, given the bytes already read from it (a router that sniffed the first bytes).
 */
export interface AcceptedConnection extends StreamConnection {
  /**
   * Stops plain reading and terminates TLS on this socket. `alreadyRead` is replayed to the TLS
   * layer first. Resolves once the handshake is done; rejects (and closes) when it fails or
   * takes longer than `timeoutMs` (5 s by default).
   */
  startTls(tls: TlsServerOptions, alreadyRead: Uint8Array, timeoutMs?: number): Promise<StreamConnection>;
}

export interface ListenTcpOptions extends StreamLimits {
  readonly family: Family;
  /** Local address; the family's wildcard when omitted. */
  readonly address?: string;
  /** 0 or omitted picks a free port. */
  readonly port?: number;
  /** Terminate TLS on every connection (the handshake finishes before `onConnection`). */
  readonly tls?: TlsServerOptions;
  /** Handshakes slower than this are abandoned (TLS listeners only); 5 s when omitted. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Pending connections the OS keeps (listen backlog); 511 when omitted. */
  readonly backlog?: number;
  /**
   * false: in a `node:cluster` worker, share the port with the other workers (the primary
   * accepts and hands each connection to one worker). true (the default): this process alone.
   */
  readonly exclusive?: boolean;
}

export interface ConnectTcpOptions extends StreamLimits {
  readonly remote: Endpoint;
  readonly tls?: TlsClientOptions;
  /** Give up after this long (TCP connect plus TLS handshake); 10 s when omitted. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A listening TCP (or TLS) socket. */
export interface StreamListener {
  readonly local: Endpoint;
  /** Adds a handler for each new connection; returns its remover. */
  onConnection(handler: (connection: AcceptedConnection) => void): () => void;
  /** Stops accepting and closes every connection it accepted; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Stream sockets: an optional capability beside `Network` (which is UDP only), so that a network
 * without TCP, such as today's virtual network, need not implement it. The Node adapter does.
 */
export interface StreamNetwork {
  listenTcp(options: ListenTcpOptions): Promise<StreamListener>;
  connectTcp(options: ConnectTcpOptions): Promise<StreamConnection>;
}

/** True when `network` also offers stream sockets. */
export function hasStreams<N extends object>(network: N): network is N & StreamNetwork {
  const n = network as Partial<StreamNetwork>;
  return typeof n.listenTcp === 'function' && typeof n.connectTcp === 'function';
}
