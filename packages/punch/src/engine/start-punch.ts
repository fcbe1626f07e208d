import { formatEndpoint, silentLogger, systemClock, type Clock, type Endpoint, type Logger, type Network, type Timer, type UdpSocket } from '@natkit/net';
import type { PunchPlan } from '../plan/types.js';
import type { ProbeAuthenticator } from '../wire/authenticator.js';
import { decodePunchBody, encodePunchBody, isPunchDatagram, PUNCH_MAGIC, type PunchMessage } from '../wire/punch-message.js';
import { createDestinationGuard } from './destination-guard.js';
import { closeAll, openExtraSockets } from './extra-sockets.js';
import type { PunchFailureReason, PunchResult, PunchStats } from './punch-result.js';
import { expandSchedule, type ScheduledSend } from './send-schedule.js';

export interface PunchOptions {
  readonly plan: PunchPlan;
  /**
   * The caller's socket of `plan.family` (the one whose server-reflexive candidate the peer got),
   * or the caller's sockets, one per family, of which the engine takes the plan's.
   */
  readonly socket: UdpSocket | readonly UdpSocket[];
  /** When to send the first probe, on `clock` (the rendezvous tells both sides, RTT-timed). */
  readonly fireAt: number;
  /** The controlling side selects the pair (nomination); the rendezvous assigns the roles. */
  readonly role: 'controlling' | 'controlled';
  readonly authenticator: ProbeAuthenticator;
  readonly signal?: AbortSignal;
  /** After the selection, the selected socket keeps answering the peer's probes this long (default 3 s). */
  readonly lingerMs?: number;
}

export interface PunchComponents {
  readonly network: Network;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Random bytes for transaction ids; default crypto.getRandomValues. */
  readonly random?: (n: number) => Uint8Array;
}

/** A running attempt. It runs in the background: keep using the relay until `result` says direct. */
export interface PunchAttempt {
  /** Settles once, never rejects: the working 5-tuple or a typed failure. */
  readonly result: Promise<PunchResult>;
  stats(): PunchStats;
  abort(): void;
}

const TRIGGER_INTERVAL_MS = 100;
const MAX_TRIGGERED_PAIRS = 64;
const NOMINATION_TRIES = 10;
const NOMINATION_INTERVAL_MS = 100;

/**
 * Runs a plan: opens the extra sockets it needs, sends paced, authenticated probes from the fire
 * time on, only to the peer's bound addresses, answers the peer's probes, and resolves with the
 * pair the controlling side nominated. Every extra socket is closed on success (except a selected
 * one, handed over), failure and abort.
 */
export function startPunch(options: PunchOptions, components: PunchComponents): PunchAttempt {
  const run = new PunchRun(options, components);
  return { result: run.result, stats: () => run.stats(), abort: () => run.abort() };
}

class PunchRun {
  readonly result: Promise<PunchResult>;
  readonly #o: PunchOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #network: Network;
  readonly #random: (n: number) => Uint8Array;
  readonly #allowed: (to: Endpoint) => boolean;
  readonly #mine: boolean;
  #resolve: (r: PunchResult) => void = () => {};
  #sockets: UdpSocket[] = [];
  #removers: (() => void)[] = [];
  readonly #timers = new Set<Timer>();
  readonly #outstanding = new Map<string, { socket: number; to: Endpoint; nominate: boolean }>();
  readonly #triggered = new Set<string>();
  readonly #confirmed = new Set<string>();
  #nominating: { socket: number; to: Endpoint; tries: number } | undefined;
  #t0 = 0;
  #done = false;
  #sent = 0;
  #received = 0;
  #dropped = 0;

  constructor(o: PunchOptions, c: PunchComponents) {
    this.#o = o;
    this.#clock = c.clock ?? systemClock;
    this.#log = (c.logger ?? silentLogger).child('punch');
    this.#network = c.network;
    this.#random = c.random ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    this.#allowed = createDestinationGuard(o.plan.allowedAddresses);
    this.#mine = o.role === 'controlling';
    this.result = new Promise((resolve) => (this.#resolve = resolve));
    void this.#start();
  }

  stats(): PunchStats {
    return { sent: this.#sent, received: this.#received, dropped: this.#dropped, confirmedPairs: this.#confirmed.size, extraSockets: Math.max(0, this.#sockets.length - 1) };
  }

  abort(): void {
    void this.#fail('aborted', 'aborted by the caller');
  }

  readonly #onAbort = (): void => this.abort();

  async #start(): Promise<void> {
    const { plan, signal } = this.#o;
    if (plan.strategy === 'relay' || plan.family === null) return this.#fail('no-strategy', plan.reason);
    const given = this.#o.socket;
    const socket = (isSocketList(given) ? given : [given]).find((s) => s.family === plan.family);
    if (socket === undefined) return this.#fail('bad-option', `the plan punches over IPv${plan.family} and no socket of that family was given`);
    if (!Number.isFinite(this.#o.fireAt)) return this.#fail('bad-option', `fireAt ${this.#o.fireAt} is not a time`);
    if (signal?.aborted === true) return this.#fail('aborted', 'aborted before the start');
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    const extras = await openExtraSockets(this.#network, plan.family, plan.send.extraSockets, this.#log, signal);
    if (this.#done) return void (await closeAll(extras));
    this.#sockets = [socket, ...extras];
    if (plan.send.extraSockets > 0 && extras.length === 0) return this.#fail('bind-failed', 'no extra socket could be opened');
    this.#sockets.forEach((s, i) => this.#removers.push(s.onMessage((data, from) => this.#onMessage(i, data, from))));
    this.#t0 = Math.max(this.#o.fireAt, this.#clock.now());
    const schedule = expandSchedule(plan.send)[Symbol.iterator]();
    this.#after(this.#t0 - this.#clock.now(), () => this.#pump(schedule, schedule.next()));
    this.#after(this.#t0 - this.#clock.now() + plan.durationMs, () => this.#onDeadline());
  }

  #pump(schedule: Iterator<ScheduledSend>, first: IteratorResult<ScheduledSend>): void {
    let next = first;
    const elapsed = this.#clock.now() - this.#t0;
    while (next.done !== true && next.value.atMs <= elapsed) {
      if (next.value.socket < this.#sockets.length) this.#probe(next.value.socket, next.value.to, false);
      next = schedule.next();
    }
    if (next.done !== true) {
      const pending = next;
      this.#after(pending.value.atMs - elapsed, () => this.#pump(schedule, pending));
    }
  }

  #onMessage(index: number, data: Uint8Array, from: Endpoint): void {
    if (this.#done || !isPunchDatagram(data)) return;
    const message = this.#openDatagram(data, from);
    if (message === undefined) return;
    this.#received++;
    const pair = pairKey(index, from);
    if (message.type === 'probe') {
      this.#send(index, from, { ...message, type: 'ack', senderControls: this.#mine });
      if (message.nominate && !this.#mine) return void this.#succeed(index, from);
      if (!this.#confirmed.has(pair) && !this.#triggered.has(pair) && this.#triggered.size < MAX_TRIGGERED_PAIRS) {
        this.#triggered.add(pair);
        this.#trigger(index, from);
      }
      return;
    }
    const key = hex(message.txid);
    const sent = this.#outstanding.get(key);
    if (sent === undefined || sent.socket !== index || pairKey(sent.socket, sent.to) !== pair) return void this.#dropped++;
    this.#outstanding.delete(key);
    if (sent.nominate) return void this.#succeed(index, from);
    this.#confirmed.add(pair);
    if (this.#mine && this.#nominating === undefined) {
      this.#nominating = { socket: index, to: from, tries: 0 };
      this.#nominate();
    }
  }

  #openDatagram(data: Uint8Array, from: Endpoint): PunchMessage | undefined {
    if (!this.#allowed(from)) return void this.#dropped++;
    const opened = this.#o.authenticator.open(data.subarray(1));
    const decoded = opened.ok ? decodePunchBody(opened.value) : opened;
    if (!decoded.ok || decoded.value.senderControls === this.#mine) {
      this.#dropped++;
      this.#log.trace('punch: dropped', { from: formatEndpoint(from), reason: decoded.ok ? 'reflected' : decoded.reason });
      return undefined;
    }
    return decoded.value;
  }

  #trigger(index: number, to: Endpoint): void {
    if (this.#done || this.#confirmed.has(pairKey(index, to))) return;
    this.#probe(index, to, false);
    this.#after(TRIGGER_INTERVAL_MS, () => this.#trigger(index, to));
  }

  #nominate(): void {
    const n = this.#nominating;
    if (this.#done || n === undefined) return;
    if (n.tries >= NOMINATION_TRIES) {
      this.#nominating = undefined;
      return;
    }
    n.tries++;
    this.#probe(n.socket, n.to, true);
    this.#after(NOMINATION_INTERVAL_MS, () => this.#nominate());
  }

  #onDeadline(): void {
    const n = this.#nominating;
    if (n !== undefined && n.tries < NOMINATION_TRIES) {
      this.#after((NOMINATION_TRIES - n.tries + 1) * NOMINATION_INTERVAL_MS, () => this.#onDeadline());
      return;
    }
    void this.#fail('timeout', `no authenticated answer selected a path within ${this.#o.plan.durationMs} ms (${this.#sent} datagrams sent)`);
  }

  #probe(socket: number, to: Endpoint, nominate: boolean): void {
    const txid = this.#random(8);
    if (this.#send(socket, to, { type: 'probe', nominate, senderControls: this.#mine, txid })) {
      this.#outstanding.set(hex(txid), { socket, to, nominate });
    }
  }

  #send(socket: number, to: Endpoint, message: PunchMessage): boolean {
    const s = this.#sockets[socket];
    if (s === undefined || this.#done) return false;
    if (!this.#allowed(to)) {
      this.#log.warn('punch: refused a destination not bound to the peer', { to: formatEndpoint(to) });
      return false;
    }
    if (this.#sent >= this.#o.plan.limits.maxProbes) return false;
    this.#sent++;
    s.send(frame(this.#o.authenticator, message), to);
    return true;
  }

  #after(ms: number, fn: () => void): void {
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#done) fn();
    }, Math.max(0, ms));
    this.#timers.add(timer);
  }

  async #succeed(index: number, remote: Endpoint): Promise<void> {
    const socket = this.#sockets[index];
    if (this.#done || socket === undefined) return;
    const elapsedMs = this.#clock.now() - this.#t0;
    await this.#finish(index);
    this.#linger(socket, remote);
    this.#log.debug('punch: direct', { strategy: this.#o.plan.strategy, remote: formatEndpoint(remote), elapsedMs });
    this.#resolve({ ok: true, strategy: this.#o.plan.strategy, socket, remote, ownsSocket: index > 0, elapsedMs, stats: this.stats() });
  }

  async #fail(reason: PunchFailureReason, detail: string): Promise<void> {
    if (this.#done) return;
    await this.#finish(-1);
    this.#resolve({ ok: false, strategy: this.#o.plan.strategy, reason, detail, stats: this.stats() });
  }

  /** Stops every timer and handler, closes the extra sockets except `keep`. */
  async #finish(keep: number): Promise<void> {
    this.#done = true;
    this.#o.signal?.removeEventListener('abort', this.#onAbort);
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    for (const remove of this.#removers) remove();
    this.#removers = [];
    await closeAll(this.#sockets.filter((_s, i) => i > 0 && i !== keep));
  }

  /** Keeps acking the peer's probes on the selected pair, so a lost nomination ack is made good. */
  #linger(socket: UdpSocket, remote: Endpoint): void {
    const pair = pairKey(0, remote);
    const remove = socket.onMessage((data, from) => {
      if (!isPunchDatagram(data) || pairKey(0, from) !== pair) return;
      const opened = this.#o.authenticator.open(data.subarray(1));
      const decoded = opened.ok ? decodePunchBody(opened.value) : opened;
      if (!decoded.ok || decoded.value.type !== 'probe' || decoded.value.senderControls === this.#mine) return;
      socket.send(frame(this.#o.authenticator, { ...decoded.value, type: 'ack', senderControls: this.#mine }), from);
    });
    const timer = this.#clock.setTimeout(remove, this.#o.lingerMs ?? 3_000);
    this.#o.signal?.addEventListener('abort', () => { timer.cancel(); remove(); }, { once: true });
  }
}

function frame(authenticator: ProbeAuthenticator, message: PunchMessage): Uint8Array {
  const sealed = authenticator.seal(encodePunchBody(message));
  const out = new Uint8Array(sealed.length + 1);
  out[0] = PUNCH_MAGIC;
  out.set(sealed, 1);
  return out;
}

function isSocketList(given: UdpSocket | readonly UdpSocket[]): given is readonly UdpSocket[] {
  return Array.isArray(given);
}

function pairKey(socket: number, to: Endpoint): string {
  return `${socket}|${formatEndpoint(to)}`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
