import { formatEndpoint, isSameEndpoint, type Timer } from '@natkit/net';
import { readXorMappedAddress, StunMethod } from '@natkit/stun';
import type { RelayedSocketInit } from './relayed-socket-init.js';
import { TurnClientError } from './turn-client-error.js';

/** `check` asks the server at most this often per allocation (a stalled connection's request, bounded). */
const CHECK_MIN_GAP_MS = 3000;
/** Retransmit timeout of a check when keepalives are off (otherwise a quarter of their interval, 0.1-1 s). */
const CHECK_RTO_MS = 500;

export interface AllocationKeepaliveHooks {
  readonly isClosed: () => boolean;
  /** The NAT mapping to the server changed: the allocation is lost (`error` says so). */
  readonly lost: (error: TurnClientError) => void;
}

/**
 * UDP: a Binding request to the server after `keepaliveMs` without other traffic to it keeps the
 * NAT mapping of the allocation's 5-tuple, and its XOR-MAPPED-ADDRESS tells when that mapping
 * changed (our NAT rebound): the server then knows the allocation only by the old 5-tuple, so it
 * is lost (what a Refresh would learn minutes later as 437) and the owner can allocate again.
 * Also after `keepaliveMs` without anything from the server (at most one per `keepaliveMs`):
 * while we keep sending over a rebound mapping the server drops it all and stays silent.
 * Nothing over a stream (TCP/TLS), or without `keepaliveMs`.
 */
export class AllocationKeepalive {
  #timer: Timer | undefined;
  /** When we last sent the server anything over the control socket (clock ms). */
  #lastSent: number;
  /** When the server last sent us anything, and when our last keepalive left (clock ms). */
  #lastHeard: number;
  #lastKeepalive = Number.NEGATIVE_INFINITY;
  /** When `check` last sent (clock ms), and whether that Binding is still unanswered. */
  #lastCheck = Number.NEGATIVE_INFINITY;
  #checking = false;

  constructor(
    private readonly init: RelayedSocketInit,
    private readonly hooks: AllocationKeepaliveHooks,
  ) {
    this.#lastSent = init.clock.now();
    this.#lastHeard = this.#lastSent;
  }

  /** We sent the server something at `now`. */
  sent(now: number): void {
    this.#lastSent = now;
  }

  /** The server sent us something at `now`. */
  heard(now: number): void {
    this.#lastHeard = now;
  }

  start(): void {
    this.#schedule(this.init.keepaliveMs);
  }

  /** See RelayedSocket.checkNow. */
  check(): boolean {
    if (this.init.stream || this.hooks.isClosed() || this.#checking) return false;
    const now = this.init.clock.now();
    if (now - this.#lastCheck < CHECK_MIN_GAP_MS) return false;
    this.#lastCheck = now;
    this.#checking = true;
    void this.#send(this.init.keepaliveMs).finally(() => {
      this.#checking = false;
    });
    return true;
  }

  stop(): void {
    this.#timer?.cancel();
  }

  #schedule(every: number | undefined): void {
    if (every === undefined || !(every > 0) || this.init.stream || this.hooks.isClosed()) return;
    const quiet = Math.min(this.#lastSent, this.#lastHeard);
    const due = Math.max(quiet, this.#lastKeepalive) + every - this.init.clock.now();
    this.#timer = this.init.clock.setTimeout(() => {
      if (this.hooks.isClosed()) return;
      const now = this.init.clock.now();
      if (now - Math.min(this.#lastSent, this.#lastHeard) >= every && now - this.#lastKeepalive >= every) void this.#send(every);
      this.#schedule(every);
    }, Math.max(0, due));
  }

  /** One Binding to the server; resolves when it was answered (or timed out). */
  #send(every: number | undefined): Promise<void> {
    this.#lastSent = this.init.clock.now();
    this.#lastKeepalive = this.#lastSent;
    const server = this.init.session.server;
    const policy = { rtoMs: every === undefined ? CHECK_RTO_MS : Math.max(100, Math.min(1000, every / 4)), rc: 3, rm: 4 };
    return this.init.stun.request(server, { method: StunMethod.Binding, policy }).then(
      (r) => {
        const mapped = readXorMappedAddress(r.message);
        const was = this.init.mapped;
        if (this.hooks.isClosed() || mapped === undefined || was === undefined || isSameEndpoint(mapped, was)) return;
        this.hooks.lost(new TurnClientError('ERR_TURN_CLOSED', `the NAT mapping to the server changed from ${formatEndpoint(was)} to ${formatEndpoint(mapped)}: the allocation is lost`));
      },
      (e: unknown) => this.init.logger.debug('keepalive unanswered', { error: String(e) }),
    );
  }
}
