import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { normalizeAddress, type Endpoint } from '../endpoint.js';
import { NetworkError } from '../errors.js';
import type {
  AcceptedConnection,
  DataHandler,
  OverflowPolicy,
  StreamConnection,
  StreamLimits,
  StreamStats,
  TlsServerOptions,
  WriteResult,
} from '../stream.js';

/** Default cap on a connection's unsent bytes. */
export const DEFAULT_MAX_WRITE_BUFFER = 1 << 20;
const DEFAULT_CLOSE_GRACE_MS = 1000;
const DEFAULT_TLS_TIMEOUT_MS = 5000;

/** The endpoints of a connected socket, or undefined when it is already gone. */
export function socketEndpoints(socket: Socket): { local: Endpoint; remote: Endpoint } | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (localAddress === undefined || localPort === undefined) return undefined;
  if (remoteAddress === undefined || remotePort === undefined) return undefined;
  return {
    local: { address: normalizeAddress(localAddress), port: localPort },
    remote: { address: normalizeAddress(remoteAddress), port: remotePort },
  };
}

/** A `StreamConnection` over a Node `net.Socket` or `tls.TLSSocket`. */
export class NodeStreamConnection implements AcceptedConnection {
  readonly #socket: Socket;
  readonly #maxWriteBuffer: number;
  readonly #overflow: OverflowPolicy;
  /** Copy on write: a chunk is delivered to the list as it was when the chunk arrived. */
  #dataHandlers: readonly DataHandler[] = [];
  readonly #closeHandlers = new Set<(error?: Error) => void>();
  readonly #onSocketData = (chunk: Buffer): void => this.#deliver(chunk);
  #error: Error | undefined;
  #closed = false;
  #handedOver = false;
  #bytesRead = 0;
  #bytesWritten = 0;
  #writesDropped = 0;
  #closing: Promise<void> | undefined;

  constructor(
    socket: Socket,
    readonly local: Endpoint,
    readonly remote: Endpoint,
    readonly secure: boolean,
    limits: StreamLimits,
  ) {
    this.#socket = socket;
    this.#maxWriteBuffer = limits.maxWriteBuffer ?? DEFAULT_MAX_WRITE_BUFFER;
    this.#overflow = limits.overflow ?? 'close';
    socket.setNoDelay(true);
    if (secure) keepWritesApart(socket);
    socket.on('data', this.#onSocketData);
    socket.on('error', (e) => {
      this.#error ??= e;
    });
    socket.once('close', () => this.#finish());
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  get closed(): boolean {
    return this.#closed || this.#handedOver || this.#socket.destroyed;
  }

  write(data: Uint8Array): WriteResult {
    if (this.closed || this.#socket.destroyed || !this.#socket.writable) return 'closed';
    if (this.#socket.writableLength + data.length > this.#maxWriteBuffer) {
      if (this.#overflow === 'drop') {
        this.#writesDropped += 1;
        return 'dropped';
      }
      this.#socket.destroy(new NetworkError('ERR_WRITE_OVERFLOW', `peer reads too slowly: over ${this.#maxWriteBuffer} bytes unsent`));
      return 'closed';
    }
    this.#bytesWritten += data.length;
    this.#socket.write(data);
    return 'queued';
  }

  onData(handler: DataHandler): () => void {
    this.#dataHandlers = [...this.#dataHandlers, handler];
    return () => {
      this.#dataHandlers = this.#dataHandlers.filter((h) => h !== handler);
    };
  }

  onClose(handler: (error?: Error) => void): () => void {
    this.#closeHandlers.add(handler);
    return () => this.#closeHandlers.delete(handler);
  }

  stats(): StreamStats {
    return { bytesRead: this.#bytesRead, bytesWritten: this.#bytesWritten, writesDropped: this.#writesDropped };
  }

  close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    if (this.#handedOver) return Promise.resolve();
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.#socket.destroy(), Math.max(0, graceMs));
      this.#socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#socket.end();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  startTls(tls: TlsServerOptions, alreadyRead: Uint8Array, timeoutMs = DEFAULT_TLS_TIMEOUT_MS): Promise<StreamConnection> {
    if (this.secure || this.closed) return Promise.reject(new NetworkError('ERR_TLS_STATE', 'TLS can start only on an open plain connection'));
    this.#handedOver = true;
    this.#dataHandlers = [];
    this.#closeHandlers.clear();
    const socket = this.#socket;
    socket.off('data', this.#onSocketData);
    socket.pause();
    if (alreadyRead.length > 0) socket.unshift(Buffer.from(alreadyRead));
    let secureContext;
    try {
      secureContext = createSecureContext({ cert: toPem(tls.cert), key: toPem(tls.key) });
    } catch (e) {
      socket.destroy();
      return Promise.reject(new NetworkError('ERR_TLS_CONFIG', `bad TLS certificate or key: ${String(e)}`, e));
    }
    // TLSSocket replays the bytes still buffered in the wrapped socket (the unshifted prefix).
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext });
    return awaitSecure(tlsSocket, timeoutMs).then(() => new NodeStreamConnection(tlsSocket, this.local, this.remote, true, this.#limits()));
  }

  #limits(): StreamLimits {
    return { maxWriteBuffer: this.#maxWriteBuffer, overflow: this.#overflow };
  }

  #deliver(chunk: Buffer): void {
    this.#bytesRead += chunk.length;
    // The list as it is now: a handler added during this chunk (a router handing over) must not see it again.
    for (const h of this.#dataHandlers) {
      if (this.#handedOver) return; // TLS took the socket during this chunk
      try {
        h(chunk);
      } catch (e) {
        // A handler that throws ends the connection, never the process.
        this.#socket.destroy(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
  }

  #finish(): void {
    if (this.#closed || this.#handedOver) return;
    this.#closed = true;
    this.#dataHandlers = [];
    const handlers = [...this.#closeHandlers];
    this.#closeHandlers.clear();
    for (const h of handlers) {
      try {
        h(this.#error);
      } catch {
        // A close handler that throws must not break the others.
      }
    }
  }
}

/**
 * One `write` becomes one TLS record (or several, past 16 KiB), never shares one: Node otherwise
 * joins queued writes into a single record. TLS is a byte stream and a correct reader does not
 * care, but some TURN clients take one record for one message (coturn's turnutils_uclient does one
 * SSL_read per message) and coturn's own server writes a record per message. Writable streams fall
 * back to one `_write` per chunk when `_writev` is absent.
 */
function keepWritesApart(socket: Socket): void {
  (socket as unknown as { _writev: unknown })._writev = null;
}

/** PEM text as Node's TLS options take it. */
export function toPem(v: string | Uint8Array): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v);
}

/** Resolves on the TLS 'secure' event; destroys the socket on error or timeout. */
export function awaitSecure(socket: TLSSocket, timeoutMs: number, event: 'secure' | 'secureConnect' = 'secure'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new NetworkError('ERR_TLS_HANDSHAKE', `TLS handshake failed: ${e.message}`, e));
    };
    const onClose = (): void => fail(new Error('connection closed'));
    const timer = setTimeout(() => fail(new Error(`no handshake within ${timeoutMs} ms`)), timeoutMs);
    // Stays attached after the handshake: a later error destroys the socket, which is what it means.
    socket.once('error', fail);
    socket.once('close', onClose);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.off('close', onClose);
      resolve();
    });
  });
}
