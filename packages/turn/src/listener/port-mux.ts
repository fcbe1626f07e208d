import { normalizeAddress, silentLogger, systemClock, type AcceptedConnection, type Clock, type Logger, type StreamConnection, type StreamListener, type TlsServerOptions } from '@natkit/net';
import { classifyFirstBytes, FIRST_BYTES_NEEDED, type FirstBytesKind } from './first-bytes.js';
import { answerHttpPlaceholder } from './http-placeholder.js';
import { guardIdle } from './idle-guard.js';

/** Where each kind of connection goes once its first bytes are known. A route owns the connection. */
export interface ConnectionRoutes {
  /** TURN over the stream (plain TCP, or inside TLS). */
  turn(connection: StreamConnection, firstBytes: Uint8Array): void;
  /** HTTP/1.x (the slot the rendezvous' WebSocket claims); a 404/426 placeholder when omitted. */
  http?(connection: StreamConnection, firstBytes: Uint8Array): void;
}

export interface PortMuxOptions {
  /** Certificate and key: a TLS ClientHello gets TLS terminated, then is routed by what it carries. */
  readonly tls?: TlsServerOptions;
  /** Time to the first bytes that say what a connection is (and to a TLS handshake); 5 s. */
  readonly firstBytesTimeoutMs?: number;
  /**
   * A connection with no byte read or written for this long is closed; 61 minutes, past the
   * longest allocation lifetime (3600 s), so a quiet client that refreshes in time is never cut.
   * Connections that never allocate are closed sooner by the TURN route.
   */
  readonly idleTimeoutMs?: number;
  /** Open connections at most, all listeners together; 4096. */
  readonly maxConnections?: number;
  /** Open connections at most from one IP address; 64. */
  readonly maxConnectionsPerAddress?: number;
}

export interface PortMuxComponents {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface PortMuxStats {
  readonly open: number;
  readonly accepted: number;
  readonly refusedTotal: number;
  readonly refusedPerAddress: number;
  readonly firstBytesTimeouts: number;
  readonly idleTimeouts: number;
  readonly unknownProtocol: number;
  readonly tlsFailures: number;
  readonly routed: { readonly turn: number; readonly tls: number; readonly http: number };
}

/** Serves one port number's TCP (and TLS) connections, told apart by their first bytes. */
export interface PortMux {
  /** Routes this listener's connections; `tlsOnly` refuses anything but a ClientHello (the TLS port). */
  attach(listener: StreamListener, options?: { readonly tlsOnly?: boolean }): void;
  stats(): PortMuxStats;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

export function createPortMux(routes: ConnectionRoutes, options: PortMuxOptions = {}, components: PortMuxComponents = {}): PortMux {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('port-mux');
  const firstBytesMs = options.firstBytesTimeoutMs ?? 5000;
  const idleMs = options.idleTimeoutMs ?? 3_660_000;
  const maxTotal = options.maxConnections ?? 4096;
  const maxPerAddress = options.maxConnectionsPerAddress ?? 64;
  const perAddress = new Map<string, number>();
  const stats: Mutable<PortMuxStats> = {
    open: 0, accepted: 0, refusedTotal: 0, refusedPerAddress: 0, firstBytesTimeouts: 0, idleTimeouts: 0,
    unknownProtocol: 0, tlsFailures: 0, routed: { turn: 0, tls: 0, http: 0 },
  };

  const admit = (c: AcceptedConnection): (() => void) | undefined => {
    const key = normalizeAddress(c.remote.address);
    const n = perAddress.get(key) ?? 0;
    if (stats.open >= maxTotal) stats.refusedTotal += 1;
    else if (n >= maxPerAddress) stats.refusedPerAddress += 1;
    else {
      perAddress.set(key, n + 1);
      stats.open += 1;
      stats.accepted += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        stats.open -= 1;
        const left = (perAddress.get(key) ?? 1) - 1;
        if (left <= 0) perAddress.delete(key);
        else perAddress.set(key, left);
      };
    }
    logger.debug('connection refused: too many open', { from: key });
    void c.close(0);
    return undefined;
  };

  /** Reads until the first bytes say what the connection is, then calls `decide` once. */
  const sniff = (c: StreamConnection, decide: (kind: FirstBytesKind, bytes: Uint8Array) => void): void => {
    let bytes = new Uint8Array(0);
    let done = false;
    const finish = (kind: FirstBytesKind): void => {
      done = true;
      timer.cancel();
      off();
      decide(kind, bytes);
    };
    const timer = clock.setTimeout(() => {
      if (done || c.closed) return;
      stats.firstBytesTimeouts += 1;
      done = true;
      off();
      void c.close(0);
    }, firstBytesMs);
    c.onClose(() => timer.cancel());
    const off = c.onData((chunk) => {
      if (done) return;
      const next = new Uint8Array(bytes.length + chunk.length);
      next.set(bytes, 0);
      next.set(chunk, bytes.length);
      bytes = next;
      const kind = classifyFirstBytes(bytes.subarray(0, FIRST_BYTES_NEEDED));
      if (kind !== 'need-more') finish(kind);
    });
  };

  const route = (c: StreamConnection, kind: FirstBytesKind, bytes: Uint8Array): void => {
    if (kind === 'turn') {
      stats.routed.turn += 1;
      routes.turn(c, bytes);
    } else if (kind === 'http') {
      stats.routed.http += 1;
      (routes.http ?? answerHttpPlaceholder)(c, bytes);
    } else {
      stats.unknownProtocol += 1;
      void c.close(0);
    }
  };

  const startTls = (c: AcceptedConnection, bytes: Uint8Array, release: () => void): void => {
    const tls = options.tls;
    if (tls === undefined) {
      stats.unknownProtocol += 1;
      void c.close(0);
      return;
    }
    stats.routed.tls += 1;
    c.startTls(tls, bytes, firstBytesMs).then(
      (secure) => {
        secure.onClose(release);
        if (secure.closed) release();
        const guarded = guardIdle(secure, idleMs, clock, () => (stats.idleTimeouts += 1));
        sniff(guarded, (kind, inner) => route(guarded, kind === 'tls' ? 'unknown' : kind, inner));
      },
      () => {
        stats.tlsFailures += 1;
        release();
      },
    );
  };

  const accept = (c: AcceptedConnection, tlsOnly: boolean): void => {
    const release = admit(c);
    if (release === undefined) return;
    c.onClose(release);
    const guarded = guardIdle(c, idleMs, clock, () => (stats.idleTimeouts += 1));
    sniff(guarded, (kind, bytes) => {
      if (kind === 'tls') startTls(c, bytes, release);
      else route(guarded, tlsOnly ? 'unknown' : kind, bytes);
    });
  };

  return {
    attach(listener, attachOptions = {}) {
      listener.onConnection((c) => accept(c, attachOptions.tlsOnly === true));
    },
    stats: () => ({ ...stats, routed: { ...stats.routed } }),
  };
}
