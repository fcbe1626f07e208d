import { silentLogger, systemClock, type AcceptedConnection, type Clock, type Logger, type StreamConnection, type StreamListener, type TlsServerOptions } from '@natkit/net';
import { ConnectionCaps } from './connection-caps.js';
import type { FirstBytesKind } from './first-bytes.js';
import { answerHttpPlaceholder } from './http-placeholder.js';
import { guardIdle } from './idle-guard.js';
import { sniffFirstBytes } from './sniff-first-bytes.js';

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
  return new PortMuxServer(routes, options, components);
}

class PortMuxServer implements PortMux {
  readonly #routes: ConnectionRoutes;
  readonly #tls: TlsServerOptions | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #firstBytesMs: number;
  readonly #idleMs: number;
  readonly #caps: ConnectionCaps;
  readonly #stats: Omit<Mutable<PortMuxStats>, 'open'> = {
    accepted: 0, refusedTotal: 0, refusedPerAddress: 0, firstBytesTimeouts: 0, idleTimeouts: 0,
    unknownProtocol: 0, tlsFailures: 0, routed: { turn: 0, tls: 0, http: 0 },
  };

  constructor(routes: ConnectionRoutes, options: PortMuxOptions, components: PortMuxComponents) {
    this.#routes = routes;
    this.#tls = options.tls;
    this.#clock = components.clock ?? systemClock;
    this.#logger = (components.logger ?? silentLogger).child('port-mux');
    this.#firstBytesMs = options.firstBytesTimeoutMs ?? 5000;
    this.#idleMs = options.idleTimeoutMs ?? 3_660_000;
    this.#caps = new ConnectionCaps(options.maxConnections ?? 4096, options.maxConnectionsPerAddress ?? 64);
  }

  attach(listener: StreamListener, attachOptions: { readonly tlsOnly?: boolean } = {}): void {
    listener.onConnection((c) => this.#accept(c, attachOptions.tlsOnly === true));
  }

  stats(): PortMuxStats {
    return { ...this.#stats, open: this.#caps.open, routed: { ...this.#stats.routed } };
  }

  #accept(c: AcceptedConnection, tlsOnly: boolean): void {
    const admitted = this.#caps.admit(c.remote.address);
    if ('refused' in admitted) {
      if (admitted.refused === 'total') this.#stats.refusedTotal += 1;
      else this.#stats.refusedPerAddress += 1;
      this.#logger.debug('connection refused: too many open', { from: c.remote.address, cap: admitted.refused });
      void c.close(0);
      return;
    }
    this.#stats.accepted += 1;
    c.onClose(admitted.release);
    // The sniff has its own deadline; the idle guard starts with the route (a plain connection
    // that becomes TLS never gets one, so no timer outlives the hand-over).
    this.#sniff(c, (kind, bytes) => {
      if (kind === 'tls') this.#startTls(c, bytes, admitted.release);
      else this.#route(c, tlsOnly ? 'unknown' : kind, bytes);
    });
  }

  /** TLS termination after a ClientHello, then routing by what the TLS stream carries. */
  #startTls(c: AcceptedConnection, bytes: Uint8Array, release: () => void): void {
    if (this.#tls === undefined) {
      this.#stats.unknownProtocol += 1;
      void c.close(0);
      return;
    }
    this.#stats.routed.tls += 1;
    c.startTls(this.#tls, bytes, this.#firstBytesMs).then(
      (secure) => {
        secure.onClose(release);
        if (secure.closed) release();
        this.#sniff(secure, (kind, inner) => this.#route(secure, kind === 'tls' ? 'unknown' : kind, inner));
      },
      () => {
        this.#stats.tlsFailures += 1;
        release();
      },
    );
  }

  #route(c: StreamConnection, kind: FirstBytesKind, bytes: Uint8Array): void {
    if (kind === 'turn') {
      this.#stats.routed.turn += 1;
      this.#routes.turn(this.#guard(c), bytes);
    } else if (kind === 'http') {
      this.#stats.routed.http += 1;
      (this.#routes.http ?? answerHttpPlaceholder)(this.#guard(c), bytes);
    } else {
      this.#stats.unknownProtocol += 1;
      void c.close(0);
    }
  }

  #guard(c: StreamConnection): StreamConnection {
    return guardIdle(c, this.#idleMs, this.#clock, () => (this.#stats.idleTimeouts += 1));
  }

  #sniff(c: StreamConnection, decide: (kind: FirstBytesKind, bytes: Uint8Array) => void): void {
    sniffFirstBytes(c, this.#clock, this.#firstBytesMs, () => (this.#stats.firstBytesTimeouts += 1), decide);
  }
}
