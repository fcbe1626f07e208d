import type { Logger } from '@natkit/net';
import type { ConnectionPath } from './path.js';

/** Counters of one connection. */
export interface ConnectionStats {
  /** The latest probe round trip on the current path, ms (null before the first). */
  readonly rttMs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Changes between relay and direct. */
  readonly pathSwitches: number;
  /** The direct-path strategy ('simultaneous-open'), or 'relay-only'. */
  readonly strategy: string;
  /** Why that strategy (the punch planner's reason, e.g. why the relay). */
  readonly strategyReason: string;
  /** Datagrams not sent: no path yet. */
  readonly dropped: number;
  readonly path: ConnectionPath['kind'];
}

export interface ConnectionEventMap {
  /** A datagram from the peer (only valid during the call unless copied). */
  message: [Uint8Array];
  /** The path changed (relay to direct or back). */
  path: [ConnectionPath];
  close: [];
}

export type Handler<K extends keyof ConnectionEventMap> = (...args: ConnectionEventMap[K]) => void;

/** Listeners and counters of a PeerConnection; a throwing listener is logged, never breaks the others. */
export class ConnectionEvents {
  protected readonly counters: { rttMs: number | null; bytesSent: number; bytesReceived: number; pathSwitches: number; strategy: string; strategyReason: string; dropped: number } = {
    rttMs: null, bytesSent: 0, bytesReceived: 0, pathSwitches: 0, strategy: 'relay-only', strategyReason: '', dropped: 0,
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
