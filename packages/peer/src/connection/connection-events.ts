import type { Logger } from '@natkit/net';
import type { PeerError } from '../errors.js';
import type { ConnectionPath } from './path.js';

/** Counters of one connection. */
export interface ConnectionStats {
  /** The latest probe round trip on the current path, ms (null before the first). */
  readonly rttMs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Changes between relay and direct. */
  readonly pathSwitches: number;
  /**
   * The direct-path strategy: `simultaneous-open`, `port-prediction`, `birthday`, `same-nat`
   * (@natkit/punch's PunchStrategy), a fixed finder's name, or `relay` when no direct path is
   * attempted (the planner chose the relay, or `directPath: false`, or no UDP): one name for it
   * everywhere (`natkit ping --json` summary, logs).
   */
  readonly strategy: string;
  /** Why that strategy (the punch planner's reason, e.g. why the relay). */
  readonly strategyReason: string;
  /** Datagrams not sent: no path yet. */
  readonly dropped: number;
  /** Session packets for this connection dropped as replays (a counter seen already, or older than the 2048-message window). */
  readonly replaysDropped: number;
  /** Session packets for this connection that did not authenticate (wrong tag, or a key epoch we do not have): forged or corrupted. */
  readonly authFailures: number;
  readonly path: ConnectionPath['kind'];
  /** The address family of the current path (6: a direct IPv6 path between dual-stack peers). */
  readonly family: ConnectionPath['family'];
}

/** Why a connection closed (the `close` event's argument, and `PeerConnection.closeReason`). */
export interface ConnectionClosed {
  /**
   * `local`: close() here (or the peer object closed); `remote`: the other side closed;
   * `timeout`: no path (direct or relay) answered for the idle timeout: the peer quit, or the
   * network between lost it.
   */
  readonly reason: 'local' | 'remote' | 'timeout';
  /** Set when the connection failed (`timeout`): `code` ERR_PEER_CONNECTION_LOST, a message saying what failed and what to do. */
  readonly error: PeerError | null;
}

export interface ConnectionEventMap {
  /** A datagram from the peer (only valid during the call unless copied). */
  message: [Uint8Array];
  /** The path changed (relay to direct or back). */
  path: [ConnectionPath];
  /** The connection closed, and why; no event follows. */
  close: [ConnectionClosed];
}

export type Handler<K extends keyof ConnectionEventMap> = (...args: ConnectionEventMap[K]) => void;

/** Listeners and counters of a PeerConnection; a throwing listener is logged, never breaks the others. */
export class ConnectionEvents {
  protected readonly counters: { rttMs: number | null; bytesSent: number; bytesReceived: number; pathSwitches: number; strategy: string; strategyReason: string; dropped: number } = {
    rttMs: null, bytesSent: 0, bytesReceived: 0, pathSwitches: 0, strategy: 'relay', strategyReason: '', dropped: 0,
  };
  readonly #handlers: { [K in keyof ConnectionEventMap]: Set<Handler<K>> } = { message: new Set(), path: new Set(), close: new Set() };

  constructor(private readonly eventLogger: Logger) {}

  /** Adds a listener; returns its remover. */
  on<K extends keyof ConnectionEventMap>(event: K, handler: Handler<K>): () => void {
    const set = this.#handlers[event] as Set<Handler<K>>;
    set.add(handler);
    return () => set.delete(handler);
  }

  /** The application's message handler. */
  onMessage(handler: (datagram: Uint8Array) => void): () => void {
    return this.on('message', handler);
  }

  protected emit<K extends keyof ConnectionEventMap>(event: K, ...args: ConnectionEventMap[K]): void {
    for (const h of [...(this.#handlers[event] as Set<Handler<K>>)]) {
      try {
        h(...args);
      } catch (e) {
        this.eventLogger.warn('connection listener threw', { event, error: String(e) });
      }
    }
  }
}
