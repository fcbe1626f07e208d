import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Timer, UdpSocket } from '@natkit/net';
import { verifyBinding } from './verify-binding.js';
import { CloseCode } from '../protocol/close-code.js';
import { runHeartbeat } from './heartbeat.js';
import { createServerContext, type RendezvousServerComponents, type ServerContext } from './server-context.js';
import type { RendezvousServerOptions } from './server-options.js';
import type { RendezvousServerStats } from './server-stats.js';
import type { ByteStream } from './stream-duplex.js';
import { createWsEndpoint } from './ws-endpoint.js';

export type { RendezvousServerComponents } from './server-context.js';

export interface RendezvousServer {
  /** Serves one HTTP upgrade (an `http.Server` 'upgrade' event's arguments); may be passed unbound. */
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Serves a raw TCP connection whose first bytes, already read from it, begin an HTTP request. */
  readonly handleConnection: (socket: Duplex, firstBytes: Uint8Array) => void;
  /**
   * The same for a connection of the one-port listener (@natkit/net `StreamConnection`, or
   * anything of that shape), whose first bytes it read to route it here.
   */
  readonly handleStream: (stream: ByteStream, firstBytes: Uint8Array) => void;
  /** Serves the upgrades of an existing HTTP server. */
  attach(server: Server): void;
  /**
   * Watches a UDP socket of the server (the STUN port of its family) for Binding requests that
   * carry an address token (protocol v2, `verify-address`): their source becomes the peer's
   * verified address of that family. Returns the detacher. Peers may ask for tokens of a family
   * only while a socket of it is attached.
   */
  attachUdpSocket(socket: UdpSocket): () => void;
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
  const ownStore = components.store === undefined;
  let closed = false;
  const endpoint = createWsEndpoint(ctx, () => closed);
  let tick: Timer | null = null;
  const schedule = (): void => {
    tick = ctx.clock.setTimeout(() => {
      runHeartbeat(ctx);
      if (!closed) schedule();
    }, ctx.options.tickMs);
  };
  schedule();

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      tick?.cancel();
      for (const session of [...ctx.sessions.values()]) session.refuse('server-closing', 'the server is shutting down', {}, CloseCode.GoingAway);
      await waitForSessions(ctx, CLOSE_GRACE_MS);
      for (const session of ctx.sessions.values()) session.transport.terminate();
      endpoint.closeParsing();
      if (ownStore) await ctx.store.close();
    })();
    return closing;
  };

  return {
    handleUpgrade: endpoint.handleUpgrade,
    handleConnection: endpoint.handleConnection,
    handleStream: endpoint.handleStream,
    attach(server) {
      server.on('upgrade', endpoint.handleUpgrade);
    },
    attachUdpSocket(socket) {
      const family = socket.family;
      ctx.udpFamilies.set(family, (ctx.udpFamilies.get(family) ?? 0) + 1);
      const off = socket.onMessage((data, from) => verifyBinding(ctx, socket, data, from, family));
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        off();
        ctx.udpFamilies.set(family, (ctx.udpFamilies.get(family) ?? 1) - 1);
      };
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
