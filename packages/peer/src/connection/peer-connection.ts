import { formatEndpoint, type Endpoint, type Timer } from '@natkit/net';
import { decodeControl, encodeControl, type ControlMessage } from './control-message.js';
import { directPath, sameRoute, type ConnectionPath, type Route } from './path.js';
import { ConnectionEvents, type ConnectionClosed, type ConnectionStats } from './connection-events.js';
import { checkIntervalMs, rebindWaitMs, switchHoldMs } from './connection-timing.js';
import { connectionLostError, ConsentFreshness } from './consent-freshness.js';
import type { ConnectionInit } from './connection-init.js';
import { ConnectionRelay } from './connection-relay.js';
import { DirectSearch } from './direct-search.js';
import { PendingProbes } from './pending-probes.js';

export type { ConnectionTiming } from './connection-timing.js';
export type { ConnectionInit, ConnectionTransport } from './connection-init.js';

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
  readonly #relay: ConnectionRelay;
  #direct: Route | null = null;
  #directSince: number | null = null;
  /** Data moves to the direct path from this time on (see switchHoldMs). */
  #sendDirectFrom = 0;
  readonly #probes = new PendingProbes();
  readonly #search: DirectSearch;
  #tick: Timer | null = null;
  #rebind: Timer | null = null;
  #switch: Timer | null = null;
  /** When any authenticated packet of the peer last arrived (data included; consent counts answers only). */
  #lastHeard: number;
  #closed: ConnectionClosed | null = null;

  constructor(init: ConnectionInit) {
    super(init.logger);
    this.#init = init;
    this.remotePeerId = init.session.remotePeerId;
    this.#relay = new ConnectionRelay(init, { sendControl: (m, r) => this.#sendControl(m, r), probe: (r) => this.#probe(r), direct: () => this.#direct });
    this.#consent = new ConsentFreshness(init.timing, init.clock.now());
    this.#search = new DirectSearch(init, {
      consent: this.#consent,
      isClosed: () => this.#closed !== null,
      direct: () => this.#direct,
      rttMs: () => this.counters.rttMs,
      probe: (r) => this.#probe(r),
      askPeer: () => this.#relay.askPeerToFire(),
    });
    this.#lastHeard = init.clock.now();
    this.counters.strategy = init.finder?.strategy ?? 'relay';
    this.counters.strategyReason = init.finder?.reason ?? (init.finder === null ? 'no direct path attempted' : ''); // punchlink
    this.#scheduleTick();
  }

  /** The path data takes now. */
  get path(): ConnectionPath {
    const { transport } = this.#init;
    const direct = this.#directInUse();
    return direct === null ? this.#relay.path() : directPath(direct, transport.localFor?.(direct.to) ?? transport.local);
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
    this.#relay.checkWhenSilent(this.#currentRoute(), this.#lastHeard, this.#init.clock.now());
  }

  stats(): ConnectionStats {
    const d = this.#init.session.stats.dropped;
    const path = this.path;
    return { ...this.counters, path: path.kind, family: path.family, rttMs: this.counters.rttMs, replaysDropped: d.replay + d['too-old'], authFailures: d.auth + d.epoch };
  }

  /** Starts looking for a direct path (at the rendezvous' fire time); tries again later, with backoff, until one is found. */
  startDirect(fireAt: number): void {
    this.#search.start(fireAt);
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
    this.#relay.heard(route);
    if (route.via !== 'allocation' && !sameRoute(this.#direct, route) && message.value.type !== 'probe' && message.value.type !== 'probe-ack') this.#search.stray(route, now);
    this.#handle(message.value, route, now);
  }

  /**
   * Our relay allocation was lost (`null`) or replaced. Lost: data that went through it takes the
   * peer's relay meanwhile (from our socket). Replaced: the peer is told the new relayed address
   * on every route that may reach it (see RelayAnnouncer) until it answers; the caller has
   * permitted the peer's addresses on the new allocation (knownPeerAddresses).
   */
  ourRelayChanged(relayed: Endpoint | null): void {
    if (this.#closed === null) this.#relay.ourRelayChanged(relayed);
  }

  /** The peer's relayed and public addresses this connection knows: what our allocation must permit. */
  knownPeerAddresses(): Endpoint[] {
    return this.#relay.knownPeerAddresses();
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
        if (!this.#relay.isRelay(route) && !sameRoute(this.#direct, route)) this.#search.stray(route, now, true);
        return;
      case 'probe-ack':
        if (this.#relay.acked(message.nonce)) return;
        return this.#onProbeAck(message.nonce, route, now);
      case 'relay-moved':
        return this.#relay.onRelayMoved(message.nonce, message.relayed, route);
      case 'reprobe':
        return this.#search.peerAsked(now);
      case 'close':
        this.#shutdown({ reason: 'remote', error: null });
        return;
    }
  }

  /**
   * The peer's relay moved to `relayed` (its relay-moved message, or the rendezvous passing its
   * registered relay candidate; the caller checked it is at our natkit server's relay).
   */
  peerRelayMoved(relayed: Endpoint): void {
    if (this.#closed === null) this.#relay.peerRelayMoved(relayed);
  }

  #onProbeAck(nonce: number, route: Route, now: number): void {
    const probe = this.#probes.take(nonce);
    if (probe === undefined) return;
    const rtt = now - probe.sentAt;
    if (this.#relay.isRelay(probe.route)) {
      this.#consent.answered(now, false);
      if (this.#direct === null) this.counters.rttMs = rtt;
      return;
    }
    if (this.#relay.isRelay(route)) return; // asked directly, answered through the relay: not a direct path
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
    const wait = rebindWaitMs(rtt);
    this.#rebind = this.#init.clock.setTimeout(() => {
      this.#rebind = null;
      if (this.#closed !== null || (this.#consent.lastDirectAnswer ?? Number.NEGATIVE_INFINITY) >= probe.sentAt) return;
      this.#useDirect(route, rtt, this.#init.clock.now(), 'peer moved (NAT rebinding)');
    }, wait);
  }

  #useDirect(route: Route, rtt: number, now: number, why: string): void {
    const upgrade = this.#direct === null;
    const hold = upgrade && this.#relay.route !== null ? switchHoldMs(this.counters.rttMs) : 0;
    this.#sendDirectFrom = now + hold;
    this.#direct = route;
    this.#consent.directUp(now);
    this.#directSince ??= now;
    this.counters.rttMs = rtt;
    if (upgrade) this.counters.pathSwitches++;
    this.#search.stop();
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

  /** The direct path data takes (null before one is validated, and during the switch hold). */
  #directInUse(): Route | null {
    return this.#direct !== null && (this.#relay.route === null || this.#init.clock.now() >= this.#sendDirectFrom) ? this.#direct : null;
  }

  #currentRoute(): Route | null {
    return this.#directInUse() ?? this.#relay.route;
  }

  #probe(route: Route | null): void {
    if (route === null) return;
    const nonce = this.#probes.add(route, this.#init.clock.now());
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
      this.#search.schedule();
    }
    // Keepalive and consent: the path in use, and the relay kept warm as the fallback.
    this.#probe(this.#currentRoute());
    if (this.#direct !== null) this.#probe(this.#relay.route);
    this.#relay.checkWhenSilent(this.#currentRoute(), this.#lastHeard, now);
  }

  #expire(silentMs: number): void {
    this.#init.logger.debug('connection lost', { silentMs });
    this.#shutdown({ reason: 'timeout', error: connectionLostError(this.remotePeerId, silentMs, this.#direct !== null) });
  }

  #shutdown(closed: ConnectionClosed): void {
    if (this.#closed !== null) return;
    this.#closed = closed;
    this.#tick?.cancel();
    this.#rebind?.cancel();
    this.#switch?.cancel();
    this.#relay.stop();
    this.#search.stop();
    this.#probes.clear();
    this.#init.onClosed();
    this.emit('close', closed);
  }
}
