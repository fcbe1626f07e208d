import type { Timer } from '@natkit/net';
import type { ConnectionInit } from './connection-init.js';
import type { ConsentFreshness } from './consent-freshness.js';
import type { Route } from './path.js';

/** A peer's re-probe requests are followed at most this often. */
const REMOTE_REPROBE_MS = 1000;
/** A packet from an unknown direct address is probed back at most this often (rebinding check). */
const STRAY_PROBE_MS = 1000;

/** What the direct search needs from its connection. */
export interface DirectSearchHost {
  readonly consent: ConsentFreshness;
  isClosed(): boolean;
  /** The validated direct route (null: none). */
  direct(): Route | null;
  /** The latest probe RTT, ms (null before the first). */
  rttMs(): number | null;
  probe(route: Route): void;
  /** Asks the peer (through the relay) to fire with us: the `reprobe` message. */
  askPeer(): void;
}

/**
 * The search for a direct path of one connection (see PeerConnection): the finder's attempt at
 * the rendezvous' fire time, then, while no direct path is found (or after one is lost), the
 * next attempt after the consent backoff, with the peer asked to fire with us; the peer's own
 * requests, and the addresses it shows up from, are followed at a bounded rate.
 */
export class DirectSearch {
  #stopFinder: (() => void) | null = null;
  #reprobe: Timer | null = null;
  #remoteReprobeAt = Number.NEGATIVE_INFINITY;
  #strayProbeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly init: ConnectionInit,
    private readonly host: DirectSearchHost,
  ) {}

  /** Starts an attempt at `fireAt`, and schedules the next after it. */
  start(fireAt: number): void {
    const { finder, directTargets, clock } = this.init;
    if (finder === null || this.host.isClosed() || directTargets.length === 0) return;
    this.#stopFinder?.();
    this.#stopFinder = finder.start({ targets: directTargets, fireAt, sendProbe: (to, socket) => this.host.probe(socket === undefined ? { via: 'socket', to } : { via: 'socket', to, socket }) }, clock);
    this.schedule(Math.max(0, fireAt - clock.now()) + (finder.maxDurationMs ?? 0));
  }

  /** The peer asked us (reprobe) to fire with it at `now`. */
  peerAsked(now: number): void {
    if (this.host.direct() !== null || now - this.#remoteReprobeAt < REMOTE_REPROBE_MS) return;
    this.#remoteReprobeAt = now;
    this.start(now);
  }

  /**
   * An authenticated packet from an address of the peer not in use: probe it (at a bounded rate
   * unless `force`d), and the one in use.
   */
  stray(route: Route, now: number, force = false): void {
    if (!force && now - this.#strayProbeAt < STRAY_PROBE_MS) return;
    this.#strayProbeAt = now;
    this.host.probe(route);
    const direct = this.host.direct();
    if (direct !== null) this.host.probe(direct);
  }

  /**
   * The next direct attempt, after the backoff (and never before `runningMs`, the rest of the
   * attempt under way): asks the peer (through the relay) to fire with us.
   */
  schedule(runningMs = 0): void {
    if (this.init.finder === null || this.init.directTargets.length === 0 || this.host.isClosed()) return;
    this.#reprobe?.cancel();
    const delay = Math.max(this.host.consent.nextReprobeDelay(), runningMs);
    this.#reprobe = this.init.clock.setTimeout(() => {
      this.#reprobe = null;
      if (this.host.isClosed() || this.host.direct() !== null) return;
      this.init.logger.debug('re-probing for a direct path', { afterMs: delay });
      this.host.askPeer();
      this.start(this.init.clock.now() + Math.min(500, (this.host.rttMs() ?? 0) / 2));
    }, delay);
  }

  /** A direct path was found, or the connection closed: no more attempts. */
  stop(): void {
    this.#stopFinder?.();
    this.#stopFinder = null;
    this.#reprobe?.cancel();
    this.#reprobe = null;
  }
}
