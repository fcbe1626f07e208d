import { silentLogger, systemClock, type Clock, type Logger, type StreamConnection } from '@natkit/net';
import { StreamDeframer } from '../proto/stream-framing.js';
import type { ClientContext, TurnClientHandler } from '../server/client-transport.js';
import { answerStreamBinding } from './stream-binding.js';

/** Counters of the TURN-over-stream route. */
export interface TurnStreamStats {
  readonly connections: number;
  readonly frames: number;
  /** Connections closed for bytes that are not TURN framing. */
  readonly badFraming: number;
  /** Connections closed for holding no allocation past `allocateWithinMs`. */
  readonly noAllocation: number;
  readonly bindingAnswered: number;
  /** Messages to clients dropped because a client read too slowly (counted when its connection closes). */
  readonly writesDropped: number;
}

export interface TurnStreamRouteOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /**
   * A connection that has not been granted an allocation this long after it was routed is
   * closed (60 s): an idle timeout long enough for an allocation's lifetime would otherwise let
   * connections that never allocate hold their slots for as long.
   */
  readonly allocateWithinMs?: number;
}

/** The TURN route of a port mux, plus its counters. */
export interface TurnStreamRoute {
  (connection: StreamConnection, firstBytes: Uint8Array): void;
  stats(): TurnStreamStats;
}

/** An Allocate success response: method 0x003, class success. RFC 8489 §5, RFC 8656 §17 */
const ALLOCATE_SUCCESS = 0x0103;

function isAllocateSuccess(bytes: Uint8Array): boolean {
  return bytes.length >= 20 && (((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0)) === ALLOCATE_SUCCESS;
}

/**
 * TURN over TCP or TLS (RFC 8656 §3.1): cuts each connection's bytes into messages (RFC 8656
 * §12.5 framing) and hands them to the server's transport contract, one `ClientContext` per
 * connection. Binding requests the server leaves alone are answered here. Garbage closes the
 * connection, and so does holding no allocation past `allocateWithinMs`; closing, for any
 * reason, tells the server, which deletes the allocation.
 */
export function createTurnStreamRoute(handler: TurnClientHandler, options: TurnStreamRouteOptions = {}): TurnStreamRoute {
  const log = (options.logger ?? silentLogger).child('turn-stream');
  const clock = options.clock ?? systemClock;
  const allocateWithinMs = options.allocateWithinMs ?? 60_000;
  let nextConnectionId = 1;
  const stats = { connections: 0, frames: 0, badFraming: 0, noAllocation: 0, bindingAnswered: 0, writesDropped: 0 };

  const route = (connection: StreamConnection, firstBytes: Uint8Array): void => {
    // Gone already: its close event has passed, so nothing may be allocated for it.
    if (connection.closed) return;
    stats.connections += 1;
    let allocated = false;
    const ctx: ClientContext = {
      transport: connection.secure ? 'tls' : 'tcp',
      client: connection.remote,
      local: connection.local,
      connectionId: nextConnectionId++,
      reply: (bytes) => {
        if (!allocated && isAllocateSuccess(bytes)) allocated = true;
        connection.write(bytes);
      },
    };
    const deadline = clock.setTimeout(() => {
      if (allocated || connection.closed) return;
      stats.noAllocation += 1;
      void connection.close(0);
    }, allocateWithinMs);
    const deframer = new StreamDeframer();
    const feed = (chunk: Uint8Array): void => {
      const r = deframer.push(chunk);
      if (!r.ok) {
        stats.badFraming += 1;
        log.debug('closing a TURN stream: not TURN framing', { reason: r.reason, connection: ctx.connectionId });
        void connection.close(0);
        return;
      }
      for (const frame of r.value) {
        if (connection.closed) return;
        stats.frames += 1;
        if (handler.handleClientData(frame.bytes, ctx)) continue;
        if (frame.kind === 'stun' && answerStreamBinding(frame.bytes, ctx)) stats.bindingAnswered += 1;
      }
    };
    let closed = false;
    connection.onClose(() => {
      if (closed) return;
      closed = true;
      deadline.cancel();
      stats.writesDropped += connection.stats().writesDropped;
      handler.connectionClosed(ctx);
    });
    connection.onData(feed);
    feed(firstBytes);
  };
  return Object.assign(route, { stats: (): TurnStreamStats => ({ ...stats }) });
}
