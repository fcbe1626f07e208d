import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Timer } from '@natkit/net';
import { CloseCode } from '../protocol/close-code.js';
import { HARD_MAX_PAYLOAD_BYTES } from '../protocol/limits.js';
import { selectVersion, subprotocolOf } from '../protocol/version.js';
import { acceptConnection, type IpConnectionCounts } from './accept-connection.js';
import { runHeartbeat } from './heartbeat.js';
import { createServerContext, type RendezvousServerComponents, type ServerContext } from './server-context.js';
import type { RendezvousServerOptions } from './server-options.js';
import type { RendezvousServerStats } from './server-stats.js';

export type { RendezvousServerComponents } from './server-context.js';


export interface RendezvousServer {
  /** Serves one HTTP upgrade (an `http.Server` 'upgrade' event's arguments). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Serves a raw TCP connection whose first bytes, already read from it, begin an HTTP request. */
  handleConnection(socket: Duplex, firstBytes: Uint8Array): void;
  /** Serves the upgrades of an existing HTTP server. */
  attach(server: Server): void;
  stats(): RendezvousServerStats;
  /** Tells every client `server-closing`, closes every connection; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Time close() gives clients to answer the close handshake before dropping them. */
const CLOSE_GRACE_MS = 1_000;

/**
 * The rendezvous server, not bound to a port: hand it upgrades or raw connections (the one-port
 * listener of `natkit serve`), or use startRendezvousServer for a standalone one.
 */
export function createRendezvousServer(options: RendezvousServerOptions = {}, components: RendezvousServerComponents = {}): RendezvousServer {
  const ctx = createServerContext(options, components);
  const resolved = ctx.options;
  const ownStore = components.store === undefined;
  const counts: IpConnectionCounts = new Map();
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: HARD_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // Pick our version when offered. Otherwise echo another natkit-rendezvous version (a client
    // fails a handshake without its subprotocol, RFC 6455 §4.1) and refuse it with a typed error.
    handleProtocols: (offered) => {
      const version = selectVersion(offered);
      if (version !== null) return subprotocolOf(version);
      return [...offered].find((name) => name.startsWith('natkit-rendezvous.')) ?? false;
    },
  });
  let sequence = 0;
  const nextId = (): string => `${resolved.nodeId}:${(++sequence).toString(36)}`;
  let closed = false;
  let tick: Timer | null = null;
  const schedule = (): void => {
    tick = ctx.clock.setTimeout(() => {
      runHeartbeat(ctx);
      if (!closed) schedule();
    }, resolved.tickMs);
  };
  schedule();

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {});
    const path = (request.url ?? '/').split('?', 1)[0];
    if (closed || path !== resolved.path) {
      socket.end(`HTTP/1.1 ${closed ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => acceptConnection(ctx, counts, ws, request, nextId));
  };

  // Raw connections go through an HTTP parser that never listens: it only reads the request.
  const parser = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
    response.end(`natkit rendezvous: open a WebSocket to ${resolved.path}\n`);
  });
  parser.on('upgrade', handleUpgrade);
  parser.on('clientError', (_error, socket) => socket.destroy());

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      tick?.cancel();
      const sessions = [...ctx.sessions.values()];
      for (const session of sessions) session.refuse('server-closing', 'the server is shutting down', {}, CloseCode.GoingAway);
      await waitForSessions(ctx, CLOSE_GRACE_MS);
      for (const session of ctx.sessions.values()) session.transport.terminate();
      parser.closeAllConnections();
      if (ownStore) await ctx.store.close();
    })();
    return closing;
  };

  return {
    handleUpgrade,
    handleConnection(socket, firstBytes) {
      if (firstBytes.byteLength > 0) socket.unshift(Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength));
      parser.emit('connection', socket);
      socket.resume();
    },
    attach(server) {
      server.on('upgrade', handleUpgrade);
    },
    stats() {
      let registered = 0;
      for (const session of ctx.sessions.values()) if (session.state === 'registered') registered++;
      return ctx.counters.snapshot(ctx.sessions.size, registered);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function waitForSessions(ctx: ServerContext, graceMs: number): Promise<void> {
  const deadline = ctx.clock.now() + graceMs;
  while (ctx.sessions.size > 0 && ctx.clock.now() < deadline) {
    await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 20));
  }
}
