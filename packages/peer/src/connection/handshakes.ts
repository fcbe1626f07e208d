import type { Clock, Endpoint, Logger, Timer } from '@natkit/net';
import type { Identity, PeerId } from '@natkit/identity';
import type { Introduction } from '@natkit/rendezvous';
import { PeerError } from '../errors.js';
import { HandshakeInitiator } from '../session/handshake-initiator.js';
import { readReceiverId } from '../session/packet.js';
import type { Session } from '../session/session.js';
import type { Route } from './path.js';
import type { PeerConnection } from './peer-connection.js';

/** Handshake init retransmissions: every 250 ms, at most 40 (10 s). */
const RETRANSMIT_MS = 250;
const MAX_SENDS = 40;
const MAX_PENDING = 256;

interface Pending {
  readonly initiator: HandshakeInitiator;
  readonly connectionId: string;
  readonly onOpen: (session: Session, route: Route) => PeerConnection;
  timer: Timer | null;
}

type Waiter = { resolve: (c: PeerConnection) => void; reject: (e: Error) => void };

export interface HandshakesDeps {
  readonly identity: Identity;
  /** Monotonic: retransmission timers and the response's `now`. */
  readonly clock: Clock;
  /** Wall-clock milliseconds (Unix epoch) for the Noise init timestamp, which the responder orders inits by. */
  readonly wallClock: () => number;
  readonly logger: Logger;
  readonly send: (bytes: Uint8Array, route: Route) => void;
  readonly allocateId: () => number;
}

/**
 * The initiator side of connection setup: sends the Noise IK init through the relay route (or,
 * without one, to the direct targets), retransmits it, and opens the connection on the response.
 */
export class Handshakes {
  readonly #pending = new Map<number, Pending>();
  readonly #opened = new Map<string, PeerConnection>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #failed = new Map<string, Error>();

  constructor(private readonly deps: HandshakesDeps) {}

  has(id: number): boolean {
    return this.#pending.has(id);
  }

  start(intro: Introduction, relayRoute: Route | null, directTargets: readonly Endpoint[], _now: number, onOpen: (session: Session, route: Route) => PeerConnection): void {
    if (this.#pending.size >= MAX_PENDING) return;
    const initiator = new HandshakeInitiator({ identity: this.deps.identity, remotePeerId: intro.peer.peerId as PeerId, localId: this.deps.allocateId(), timestamp: this.deps.wallClock() });
    const routes: Route[] = relayRoute !== null ? [relayRoute] : directTargets.map((to) => ({ via: 'socket' as const, to }));
    const pending: Pending = { initiator, connectionId: intro.connectionId, onOpen, timer: null };
    this.#pending.set(initiator.localId, pending);
    let sends = 0;
    const send = (): void => {
      for (const r of routes) this.deps.send(initiator.packet, r);
      pending.timer = ++sends < MAX_SENDS ? this.deps.clock.setTimeout(send, RETRANSMIT_MS) : null;
      if (pending.timer === null) this.#pending.delete(initiator.localId);
    };
    if (routes.length === 0) {
      this.#pending.delete(initiator.localId);
      this.#fail(intro.connectionId, new PeerError('ERR_PEER_NO_PATH', `no way to reach ${intro.peer.peerId}: neither side has a relay, and no direct address`));
      return;
    }
    send();
  }

  onResponse(data: Uint8Array, route: Route): void {
    const id = readReceiverId(data);
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (pending === undefined) return;
    const done = pending.initiator.handleResponse(data, this.deps.clock.now());
    if (!done.ok) return;
    pending.timer?.cancel();
    this.#pending.delete(pending.initiator.localId);
    const connection = pending.onOpen(done.session, route);
    const waiter = this.#waiters.get(pending.connectionId);
    if (waiter !== undefined) {
      this.#waiters.delete(pending.connectionId);
      waiter.resolve(connection);
    } else {
      this.#opened.set(pending.connectionId, connection);
    }
  }

  /** Resolves with the connection of this introduction once its handshake completes. */
  wait(connectionId: string, timeoutMs: number, _startedAt: number, signal: AbortSignal | undefined, message: () => string): Promise<PeerConnection> {
    const failed = this.#failed.get(connectionId);
    if (failed !== undefined) {
      this.#failed.delete(connectionId);
      return Promise.reject(failed);
    }
    const opened = this.#opened.get(connectionId);
    if (opened !== undefined) {
      this.#opened.delete(connectionId);
      return Promise.resolve(opened);
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(connectionId);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal?.reason instanceof Error ? signal.reason : new PeerError('ERR_PEER_ABORTED', 'connect aborted'));
      };
      const timer = this.deps.clock.setTimeout(() => {
        cleanup();
        reject(new PeerError('ERR_PEER_CONNECT_TIMEOUT', message()));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(connectionId, {
        resolve: (c) => {
          cleanup();
          resolve(c);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
    });
  }

  close(): void {
    for (const p of this.#pending.values()) p.timer?.cancel();
    this.#pending.clear();
    for (const w of [...this.#waiters.values()]) w.reject(new PeerError('ERR_PEER_CLOSED', 'the peer closed'));
  }

  #fail(connectionId: string, error: Error): void {
    const waiter = this.#waiters.get(connectionId);
    if (waiter !== undefined) waiter.reject(error);
    else this.#failed.set(connectionId, error);
  }
}
