import { randomInt } from 'node:crypto';
import { formatEndpoint, type Endpoint, type Timer } from '@natkit/net';
import { decodeControl, encodeControl, type ControlMessage } from './control-message.js';
import { familyOfEndpoint, isRelayRoute, sameRoute, type ConnectionPath, type Route } from './path.js';
import { ConnectionEvents, type ConnectionClosed, type ConnectionStats } from './connection-events.js';
import { checkIntervalMs, relayCheckAfterMs } from './connection-timing.js';
import { connectionLostError, ConsentFreshness } from './consent-freshness.js';
import type { ConnectionInit } from './connection-init.js';
import { distinctRoutes, followRelayMove, RelayAnnouncer } from './relay-move.js';

export type { ConnectionTiming } from './connection-timing.js';
export type { ConnectionInit, ConnectionTransport } from './connection-init.js';

const MAX_PENDING_PROBES = 256;
/** A packet from an unknown direct address is probed back at most this often (rebinding check). */
const STRAY_PROBE_MS = 1000;
/** A peer's re-probe requests are followed at most this often. */
const REMOTE_REPROBE_MS = 1000;
/**
 * After an upgrade, data keeps taking the relay for twice its RTT (within these bounds), so that
 * what is still in flight there arrives before the first datagram on the faster direct path.
 */
const SWITCH_HOLD_MIN_MS = 10;
const SWITCH_HOLD_MAX_MS = 250;

/**
 * One end-to-end encrypted connection to a peer. Data goes over the direct path when one is
 * validated (a probe answered), else over the relay; the session (connection ids, keys) stays the
 * same when the path changes, so the application sees one connection. Every path is probed at
 * the keepalive interval: a direct path without an answer for `directTimeoutMs` is dropped (back
 * to the relay, re-probed later with backoff); no answer on any path for `idleTimeoutMs` closes
 * the connection with an error.
 */
export class PeerConnection extends ConnectionEvents {
  readonly remotePeerId: string;
  readonly #init: ConnectionInit;
  readonly #consent: ConsentFreshness;
  #relayRoute: Route | null;
  /** The peer's relayed addresses (its latest last); grows when it announces a re-allocation. */
  #peerRelays: Endpoint[];
  /** Where the peer's packets came from through our allocation (its public address there). */
  #heardViaAllocation: Route | null = null;
  readonly #announcer: RelayAnnouncer;
  #direct: Route | null = null;
  #directSince: number | null = null;
  /** Data moves to the direct path from this time on (see SWITCH_HOLD_*). */
  #sendDirectFrom = 0;
  readonly #probes = new Map<number, { route: Route; sentAt: number }>();
  #stopFinder: (() => void) | null = null;
  #tick: Timer | null = null;
  #reprobe: Timer | null = null;
  #rebind: Timer | null = null;
  #switch: Timer | null = null;
  #strayProbeAt = Number.NEGATIVE_INFINITY;
  #remoteReprobeAt = Number.NEGATIVE_INFINITY;
  #relayCheckAt = Number.NEGATIVE_INFINITY;
  /** When any authenticated packet of the peer last arrived (data included; consent counts answers only). */
  #lastHeard: number;
  #closed: ConnectionClosed | null = null;

  constructor(init: ConnectionInit) {
    super(init.logger);
    this.#init = init;
    this.remotePeerId = init.session.remotePeerId;
    this.#relayRoute = init.relayRoute;
    this.#peerRelays = [...init.peerRelays];
    this.#announcer = new RelayAnnouncer(init.clock, (m, r) => this.#sendControl(m, r));
    this.#consent = new ConsentFreshness(init.timing, init.clock.now());
    this.#lastHeard = init.clock.now();
    this.counters.strategy = init.finder?.strategy ?? 'relay';
    this.counters.strategyReason = init.finder?.reason ?? (init.finder === null ? 'no direct path attempted' : ''); // punchlink
    this.#scheduleTick();
  }

  /** The path data takes now. */
  get path(): ConnectionPath {
    const { transport } = this.#init;
    const direct = this.#directInUse();
    // punchlink: a direct route may leave from a socket the punch opened (birthday), not ours.
    if (direct !== null) {
      const local = transport.localFor?.(direct.to) ?? transport.local;
      return { kind: 'direct', local: direct.socket === undefined ? local : { address: local.address, port: direct.socket.local.port }, remote: direct.to, family: familyOfEndpoint(direct.to) };
    }
    const route = this.#relayRoute;
    const relay = transport.relay;
    const relayed = route?.via === 'socket' ? route.to : (relay?.relayed ?? transport.local);
    return { kind: 'relay', relay: relayed, transport: route?.via === 'allocation' ? (relay?.transport ?? 'udp') : 'udp', remote: route?.to ?? transport.local, family: familyOfEndpoint(relayed) };
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Why the connection closed (null while open). */
  get closeReason(): ConnectionClosed | null {
    return this.#closed;
  }

  /** Time from the start of the attempt to the first direct path, or null. */
  get directAfterMs(): number | null {
    return this.#directSince === null ? null : this.#directSince - this.#init.startedAt;
  }

  /** Sends one datagram (bounded by the session's payload limit); dropped when there is no path yet. */
  send(datagram: Uint8Array): void {
    if (this.#closed !== null) return;
    this.counters.bytesSent += datagram.length;
    this.#sendControl({ type: 'data', payload: datagram }, this.#currentRoute());
    this.#checkRelayWhenSilent(this.#init.clock.now());
  }

  stats(): ConnectionStats {
    const d = this.#init.session.stats.dropped;
    const path = this.path;
    return { ...this.counters, path: path.kind, family: path.family, rttMs: this.counters.rttMs, replaysDropped: d.replay + d['too-old'], authFailures: d.auth + d.epoch };
  }

  /** Starts looking for a direct path (at the rendezvous' fire time); tries again later, with backoff, until one is found. */
  startDirect(fireAt: number): void {
    const { finder, directTargets, clock } = this.#init;
    if (finder === null || this.#closed !== null || directTargets.length === 0) return;
    this.#stopFinder?.();
    this.#stopFinder = finder.start({ targets: directTargets, fireAt, sendProbe: (to, socket) => this.#probe(socket === undefined ? { via: 'socket', to } : { via: 'socket', to, socket }) }, clock);
    this.#scheduleReprobe(Math.max(0, fireAt - clock.now()) + (finder.maxDurationMs ?? 0));
  }

  /** A session packet for this connection arrived over `route`. */
  receive(packet: Uint8Array, route: Route): void {
    if (this.#closed !== null) return;
    const now = this.#init.clock.now();
    const opened = this.#init.session.open(packet, now);
    if (!opened.ok) return;
    const message = decodeControl(opened.payload);
    if (!message.ok) return;
    this.#lastHeard = Math.max(this.#lastHeard, now);
    const relayed = isRelayRoute(route, this.#peerRelays);
    if (relayed) this.#relayRoute = route;
    if (route.via === 'allocation') this.#heardViaAllocation = route;
    else if (!sameRoute(this.#direct, route) && message.value.type !== 'probe' && message.value.type !== 'probe-ack') this.#onStray(route, now);
    this.#handle(message.value, route, now);
  }

  /**
   * Our relay allocation was lost (`null`) or replaced. Lost: data that went through it takes the
   * peer's relay meanwhile (from our socket). Replaced: the peer is told the new relayed address
   * on every route that may reach it (see RelayAnnouncer) until it answers; the caller has
   * permitted the peer's addresses on the new allocation (knownPeerAddresses).
   */
  ourRelayChanged(relayed: Endpoint | null): void {
    if (this.#closed !== null) return;
    this.#announcer.stop();
    const udp = this.#init.transport.udpWorks !== false;
    const peerRelay = this.#peerRelays[this.#peerRelays.length - 1];
    if (relayed === null) {
      if (this.#relayRoute?.via === 'allocation' && udp && peerRelay !== undefined) this.#relayRoute = { via: 'socket', to: peerRelay };
      return;
    }
    this.#init.logger.debug('our relay moved: telling the peer', { relayed: formatEndpoint(relayed) });
    this.#announcer.start(relayed, () => distinctRoutes([
      this.#relayRoute,
      this.#direct,
      ...(udp ? this.#peerRelays.map((to): Route => ({ via: 'socket', to })) : []),
      this.#heardViaAllocation,
      ...(this.#init.peerPublic ?? []).map((to): Route => ({ via: 'allocation', to })),
    ]));
  }

  /** The peer's relayed and public addresses this connection knows: what our allocation must permit. */
  knownPeerAddresses(): Endpoint[] {
    return [...this.#peerRelays, ...(this.#init.peerPublic ?? []), ...[this.#relayRoute, this.#heardViaAllocation].flatMap((r) => (r === null ? [] : [r.to]))];
  }

  /** Sends a probe on the current path at once (key confirmation after a handshake, RTT). */
  probeNow(): void {
    this.#probe(this.#currentRoute());
  }

  /** Closes the connection (tells the peer, best effort); idempotent. */
  close(): void {
    if (this.#closed !== null) return;
    this.#sendControl({ type: 'close' }, this.#currentRoute());
    this.#shutdown({ reason: 'local', error: null });
  }

  #handle(message: ControlMessage, route: Route, now: number): void {
    switch (message.type) {
      case 'data':
        this.counters.bytesReceived += message.payload.length;
        this.emit('message', message.payload);
        return;
      case 'probe':
        this.#sendControl({ type: 'probe-ack', nonce: message.nonce }, route);
        // A probe straight from the peer, from an address not in use: ask back on that path at once
        // (both sides upgrade; a peer whose NAT mapping changed is found at its new address).
        if (!isRelayRoute(route, this.#peerRelays) && !sameRoute(this.#direct, route)) this.#onStray(route, now, true);
        return;
      case 'probe-ack':
        if (this.#announcer.acked(message.nonce)) return;
        return this.#onProbeAck(message.nonce, route, now);
      case 'relay-moved':
        return this.#onRelayMoved(message.nonce, message.relayed, route);
      case 'reprobe':
        if (this.#direct !== null || now - this.#remoteReprobeAt < REMOTE_REPROBE_MS) return;
        this.#remoteReprobeAt = now;
        this.startDirect(now);
        return;
      case 'close':
        this.#shutdown({ reason: 'remote', error: null });
        return;
    }
  }

  /** The peer re-allocated: follow it to its new relayed address (only at our natkit server's relay), and answer. */
  #onRelayMoved(nonce: number, relayed: Endpoint, route: Route): void {
    if (!(this.#init.isTrustedRelay?.(relayed) ?? false)) {
      this.#init.logger.debug('relay-moved to an address not at our relay server: ignored', { relayed: formatEndpoint(relayed) });
      return;
    }
    this.#sendControl({ type: 'probe-ack', nonce }, route);
    this.peerRelayMoved(relayed);
  }

  /**
   * The peer's relay moved to `relayed` (its relay-moved message, or the rendezvous passing its
   * registered relay candidate; the caller checked it is at our natkit server's relay).
   */
  peerRelayMoved(relayed: Endpoint): void {
    if (this.#closed !== null) return;
    const known = this.#peerRelays.length;
    const next = followRelayMove(this.#relayRoute, this.#peerRelays, relayed);
    const moved = next.relayRoute !== this.#relayRoute;
    this.#relayRoute = next.relayRoute;
    this.#peerRelays = next.peerRelays;
    if (moved || next.peerRelays.length > known) this.#init.logger.debug('the peer relay moved', { relayed: formatEndpoint(relayed), routeMoved: moved });
    if (moved) this.#probe(this.#relayRoute);
  }

  #onProbeAck(nonce: number, route: Route, now: number): void {
    const probe = this.#probes.get(nonce);
    if (probe === undefined) return;
    this.#probes.delete(nonce);
    const rtt = now - probe.sentAt;
    const peerRelays = this.#peerRelays;
    if (isRelayRoute(probe.route, peerRelays)) {
      this.#consent.answered(now, false);
      if (this.#direct === null) this.counters.rttMs = rtt;
      return;
    }
    if (isRelayRoute(route, peerRelays)) return; // asked directly, answered through the relay: not a direct path
    if (this.#direct === null) return this.#useDirect(route, rtt, now, 'direct path');
    if (sameRoute(this.#direct, route)) {
      this.#consent.answered(now, true);
      this.counters.rttMs = rtt;
      return;
    }
    this.#consent.answered(now, false);
    // Another address of the peer answers. When the one in use has not answered since we asked
    // (and was asked too), the peer's NAT rebound: move there after a short wait.
    const lastDirect = this.#consent.lastDirectAnswer ?? Number.NEGATIVE_INFINITY;
    if (lastDirect >= probe.sentAt || this.#rebind !== null) return;
    const wait = Math.min(1000, Math.max(200, 4 * rtt));
    this.#rebind = this.#init.clock.setTimeout(() => {
      this.#rebind = null;
      if (this.#closed !== null || (this.#consent.lastDirectAnswer ?? Number.NEGATIVE_INFINITY) >= probe.sentAt) return;
      this.#useDirect(route, rtt, this.#init.clock.now(), 'peer moved (NAT rebinding)');
    }, wait);
  }

  #useDirect(route: Route, rtt: number, now: number, why: string): void {
    const upgrade = this.#direct === null;
    const hold = upgrade && this.#relayRoute !== null ? Math.min(SWITCH_HOLD_MAX_MS, Math.max(SWITCH_HOLD_MIN_MS, 2 * (this.counters.rttMs ?? SWITCH_HOLD_MAX_MS))) : 0;
    this.#sendDirectFrom = now + hold;
    this.#direct = route;
    this.#consent.directUp(now);
    this.#directSince ??= now;
    this.counters.rttMs = rtt;
    if (upgrade) this.counters.pathSwitches++;
    this.#stopFinder?.();
    this.#stopFinder = null;
    this.#reprobe?.cancel();
    this.#reprobe = null;
    this.#init.logger.debug(why, { remote: formatEndpoint(route.to), rttMs: rtt, holdMs: hold });
    // The path (and its event) changes when data does: after the hold.
    this.#switch?.cancel();
    this.#switch = this.#init.clock.setTimeout(() => {
      this.#switch = null;
      if (this.#closed !== null || this.#direct !== route) return;
      this.#sendDirectFrom = Math.min(this.#sendDirectFrom, this.#init.clock.now()); // timers may fire a hair early
      this.emit('path', this.path);
    }, hold);
  }

  /** An authenticated packet from an address of the peer not in use: probe it (bounded rate), and the one in use. */
  #onStray(route: Route, now: number, force = false): void {
    if (!force && now - this.#strayProbeAt < STRAY_PROBE_MS) return;
    this.#strayProbeAt = now;
    this.#probe(route);
    if (this.#direct !== null) this.#probe(this.#direct);
  }

  /** The direct path data takes (null before one is validated, and during the switch hold). */
  #directInUse(): Route | null {
    return this.#direct !== null && (this.#relayRoute === null || this.#init.clock.now() >= this.#sendDirectFrom) ? this.#direct : null;
  }

  #currentRoute(): Route | null {
    return this.#directInUse() ?? this.#relayRoute;
  }

  #probe(route: Route | null): void {
    if (route === null) return;
    if (this.#probes.size >= MAX_PENDING_PROBES) this.#probes.delete(this.#probes.keys().next().value as number);
    const nonce = randomInt(0, 2 ** 32);
    this.#probes.set(nonce, { route, sentAt: this.#init.clock.now() });
    this.#sendControl({ type: 'probe', nonce }, route);
  }

  #sendControl(message: ControlMessage, route: Route | null): void {
    if (route === null) {
      this.counters.dropped++;
      return;
    }
    this.#init.transport.send(this.#init.session.seal(encodeControl(message), this.#init.clock.now()), route);
  }

  #scheduleTick(): void {
    this.#tick = this.#init.clock.setTimeout(() => {
      this.#onTick();
      if (this.#closed === null) this.#scheduleTick();
    }, checkIntervalMs(this.#init.timing));
  }

  #onTick(): void {
    const now = this.#init.clock.now();
    const verdict = this.#consent.check(now);
    if (verdict.kind === 'expired') return this.#expire(verdict.silentMs);
    const direct = this.#direct;
    if (verdict.kind === 'direct-dead' && direct !== null) {
      this.#direct = null;
      this.#consent.directDown();
      this.counters.pathSwitches++;
      this.#init.logger.debug('direct path lost, back to the relay', { remote: formatEndpoint(direct.to), silentMs: verdict.silentMs });
      this.emit('path', this.path);
      this.#scheduleReprobe();
    }
    // Keepalive and consent: the path in use, and the relay kept warm as the fallback.
    this.#probe(this.#currentRoute());
    if (this.#direct !== null) this.#probe(this.#relayRoute);
    this.#checkRelayWhenSilent(now);
  }

  /**
   * Sending through our allocation without an authenticated packet from the peer for
   * `relayCheckAfterMs` (a one-way flow hears only the answers to the consent probes): our NAT may
   * have rebound, and the server then drops all we send; have the allocation checked now rather
   * than at the next relay keepalive (at most once per that interval per connection).
   */
  #checkRelayWhenSilent(now: number): void {
    if (this.#currentRoute()?.via !== 'allocation') return;
    const after = relayCheckAfterMs(this.#init.timing);
    if (now - this.#lastHeard < after || now - this.#relayCheckAt < after) return;
    this.#relayCheckAt = now;
    this.#init.transport.checkRelay?.();
  }

  /**
   * The next direct attempt, after the backoff (and never before `runningMs`, the rest of the
   * attempt under way): asks the peer (through the relay) to fire with us.
   */
  #scheduleReprobe(runningMs = 0): void {
    if (this.#init.finder === null || this.#init.directTargets.length === 0 || this.#closed !== null) return;
    this.#reprobe?.cancel();
    const delay = Math.max(this.#consent.nextReprobeDelay(), runningMs);
    this.#reprobe = this.#init.clock.setTimeout(() => {
      this.#reprobe = null;
      if (this.#closed !== null || this.#direct !== null) return;
      this.#init.logger.debug('re-probing for a direct path', { afterMs: delay });
      if (this.#relayRoute !== null) this.#sendControl({ type: 'reprobe' }, this.#relayRoute);
      this.startDirect(this.#init.clock.now() + Math.min(500, (this.counters.rttMs ?? 0) / 2));
    }, delay);
  }

  #expire(silentMs: number): void {
    this.#init.logger.debug('connection lost', { silentMs });
    this.#shutdown({ reason: 'timeout', error: connectionLostError(this.remotePeerId, silentMs, this.#direct !== null) });
  }

  #shutdown(closed: ConnectionClosed): void {
    if (this.#closed !== null) return;
    this.#closed = closed;
    this.#tick?.cancel();
    this.#reprobe?.cancel();
    this.#rebind?.cancel();
    this.#switch?.cancel();
    this.#announcer.stop();
    this.#stopFinder?.();
    this.#probes.clear();
    this.#init.onClosed();
    this.emit('close', closed);
  }
}
