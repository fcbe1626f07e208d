import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { anyAddress, familyOf, type Endpoint } from '../endpoint.js';
import { NetworkError } from '../errors.js';
import type {
  AcceptedConnection,
  ConnectTcpOptions,
  ListenTcpOptions,
  StreamConnection,
  StreamListener,
  StreamNetwork,
} from '../stream.js';
import { awaitSecure, NodeStreamConnection, socketEndpoints, toPem } from './node-stream-connection.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 5000;

/** Stream sockets over `node:net` and `node:tls`. */
export const nodeStreamNetwork: StreamNetwork = { listenTcp, connectTcp };

class NodeStreamListener implements StreamListener {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #handlers = new Set<(c: AcceptedConnection) => void>();
  #closing: Promise<void> | undefined;

  constructor(
    server: Server,
    readonly local: Endpoint,
    options: ListenTcpOptions,
  ) {
    this.#server = server;
    const event = options.tls === undefined ? 'connection' : 'secureConnection';
    server.on(event, (socket: Socket) => this.#accept(socket, options));
    // Failed handshakes are the client's problem; the TLS server destroys their sockets.
    server.on('tlsClientError', () => {});
    server.on('error', () => {});
  }

  onConnection(handler: (connection: AcceptedConnection) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#handlers.clear();
      this.#server.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #accept(socket: Socket, options: ListenTcpOptions): void {
    const ends = socketEndpoints(socket);
    if (ends === undefined || this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const connection = new NodeStreamConnection(socket, ends.local, ends.remote, options.tls !== undefined, options);
    for (const h of this.#handlers) {
      try {
        h(connection);
      } catch (e) {
        socket.destroy(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
    if (this.#handlers.size === 0) socket.destroy();
  }
}

async function listenTcp(options: ListenTcpOptions): Promise<StreamListener> {
  const address = options.address ?? anyAddress(options.family);
  if (familyOf(address) !== options.family) {
    throw new NetworkError('ERR_BAD_ADDRESS', `${address} is not an IPv${options.family} address`);
  }
  let server: Server;
  try {
    server =
      options.tls === undefined
        ? createServer({ noDelay: true })
        : createTlsServer({
            cert: toPem(options.tls.cert),
            key: toPem(options.tls.key),
            handshakeTimeout: options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
          });
  } catch (e) {
    throw new NetworkError('ERR_TLS_CONFIG', `bad TLS certificate or key: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => {
      reject(new NetworkError('ERR_LISTEN', `cannot listen on TCP ${address}:${options.port ?? 0}: ${e.message}`, e));
    };
    server.once('error', onError);
    server.listen({ host: address, port: options.port ?? 0, backlog: options.backlog ?? 511, exclusive: options.exclusive ?? true, ipv6Only: options.family === 6 }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address();
  if (a === null || typeof a === 'string') throw new NetworkError('ERR_LISTEN', 'listening socket has no address');
  return new NodeStreamListener(server, { address: a.address, port: a.port }, options);
}

async function connectTcp(options: ConnectTcpOptions): Promise<StreamConnection> {
  const { remote, tls } = options;
  if (familyOf(remote.address) === undefined) throw new NetworkError('ERR_BAD_ADDRESS', `${remote.address} is not an IP address`);
  options.signal?.throwIfAborted();
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const socket: Socket | TLSSocket =
    tls === undefined
      ? createConnection({ host: remote.address, port: remote.port, noDelay: true })
      : tlsConnect({
          host: remote.address,
          port: remote.port,
          ...(tls.ca === undefined ? {} : { ca: toPem(tls.ca) }),
          // RFC 6066 §3: SNI carries names, never IP literals.
          ...(tls.servername === undefined || isIP(tls.servername) !== 0 ? {} : { servername: tls.servername }),
          rejectUnauthorized: tls.insecure !== true,
        });
  const onAbort = (): void => {
    socket.destroy(new NetworkError('ERR_ABORTED', 'connect aborted'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (tls === undefined) await awaitConnect(socket, timeoutMs);
    else await awaitSecure(socket as TLSSocket, timeoutMs, 'secureConnect');
  } catch (e) {
    socket.destroy();
    if (options.signal?.aborted === true) throw new NetworkError('ERR_ABORTED', 'connect aborted', e);
    throw e instanceof NetworkError ? e : new NetworkError('ERR_CONNECT', `cannot connect to ${remote.address}:${remote.port}`, e);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const ends = socketEndpoints(socket);
  if (ends === undefined) {
    socket.destroy();
    throw new NetworkError('ERR_CONNECT', `connection to ${remote.address}:${remote.port} closed at once`);
  }
  return new NodeStreamConnection(socket, ends.local, ends.remote, tls !== undefined, options);
}

function awaitConnect(socket: Socket, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => {
      clearTimeout(timer);
      reject(new NetworkError('ERR_CONNECT', `TCP connect failed: ${e.message}`, e));
    };
    const onClose = (): void => fail(new Error('connection closed'));
    const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', fail);
    socket.once('close', onClose);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.off('close', onClose);
      resolve();
    });
  });
}
