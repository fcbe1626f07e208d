import { randomInt } from 'node:crypto';
import { formatEndpoint, type Clock, type Endpoint, type Logger, type Timer } from '@natkit/net';
import type { Session } from '../session/session.js';
import { decodeControl, encodeControl, type ControlMessage } from './control-message.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import { isRelayRoute, sameRoute, type ConnectionPath, type Route } from './path.js';
import { ConnectionEvents, type ConnectionStats } from './connection-events.js';

/** What a connection needs from its peer: sending on a route, and where it is. */
export interface ConnectionTransport {
  send(bytes: Uint8Array, route: Route): void;
  readonly local: Endpoint;
  /** Our relayed address and how we reach its server, when we have an allocation. */
  readonly relay: { readonly relayed: Endpoint; readonly transport: 'udp' | 'tcp' | 'tls' } | null;
}

export interface ConnectionTiming {
  /** Probe interval on a live direct path (and the relay path's keepalive), ms; 25 s by default. */
  readonly keepaliveMs: number;
  /** A direct path without an authenticated packet for this long is dead; back to the relay. */
  readonly directTimeoutMs: number;
  /** After the direct path died or failed, try again this much later. */
  readonly reprobeMs: number;
}

export interface ConnectionInit {
  readonly session: Session;
  readonly transport: ConnectionTransport;
  readonly finder: DirectPathFinder | null;
  readonly peerRelays: readonly Endpoint[];
  readonly directTargets: readonly Endpoint[];
  readonly relayRoute: Route | null;
  readonly startedAt: number;
  readonly timing: ConnectionTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onClosed: () => void;
}

const MAX_PENDING_PROBES = 256;

/**
 * One end-to-end encrypted connection to a peer. Data goes over the direct path when one is
 * validated (a probe answered), else over the relay; the session (connection ids, keys) stays the
 * same when the path changes, so the application sees one connection.
 */
export class PeerConnection extends ConnectionEvents {
  readonly remotePeerId: string;
  readonly #init: ConnectionInit;
  #relayRoute: Route | null;
  #direct: { route: Route; lastHeard: number } | null = null;
  #directSince: number | null = null;
  readonly #probes = new Map<number, { route: Route; sentAt: number }>();
  #stopFinder: (() => void) | null = null;
  #tick: Timer | null = null;
  #closed = false;

  constructor(init: ConnectionInit) {
    super(init.logger);
    this.#init = init;
    this.remotePeerId = init.session.remotePeerId;
    this.#relayRoute = init.relayRoute;
    this.counters.strategy = init.finder?.strategy ?? 'relay-only';
    this.counters.strategyReason = init.finder?.reason ?? (init.finder === null ? 'no direct path attempted' : ''); // punchlink
    this.#scheduleTick();
  }

  /** The path data takes now. */
  get path(): ConnectionPath {
    const { transport } = this.#init;
    // punchlink: a direct route may leave from a socket the punch opened (birthday), not ours.
    const socket = this.#direct?.route.socket;
    if (this.#direct !== null) return { kind: 'direct', local: socket === undefined ? transport.local : { address: transport.local.address, port: socket.local.port }, remote: this.#direct.route.to };
    const route = this.#relayRoute;
    const relay = transport.relay;
    return { kind: 'relay', relay: route?.via === 'socket' ? route.to : (relay?.relayed ?? transport.local), transport: route?.via === 'allocation' ? (relay?.transport ?? 'udp') : 'udp', remote: route?.to ?? transport.local };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Time from the start of the attempt to the first direct path, or null. */
  get directAfterMs(): number | null {
    return this.#directSince === null ? null : this.#directSince - this.#init.startedAt;
  }

  /** Sends one datagram (bounded by the session's payload limit); dropped when there is no path yet. */
  send(datagram: Uint8Array): void {
    if (this.#closed) return;
    this.counters.bytesSent += datagram.length;
    this.#sendControl({ type: 'data', payload: datagram }, this.#currentRoute());
  }

  stats(): ConnectionStats {
    return { ...this.counters, path: this.path.kind, rttMs: this.counters.rttMs };
  }

  /** Starts looking for a direct path (at the rendezvous' fire time). */
  startDirect(fireAt: number): void {
    const { finder, directTargets, clock } = this.#init;
    if (finder === null || this.#closed || directTargets.length === 0) return;
    this.#stopFinder?.();
    this.#stopFinder = finder.start({ targets: directTargets, fireAt, sendProbe: (to, socket) => this.#probe(socket === undefined ? { via: 'socket', to } : { via: 'socket', to, socket }) }, clock);
  }

  /** A session packet for this connection arrived over `route`. */
  receive(packet: Uint8Array, route: Route): void {
    if (this.#closed) return;
    const now = this.#init.clock.now();
    const opened = this.#init.session.open(packet, now);
    if (!opened.ok) return;
    const message = decodeControl(opened.payload);
    if (!message.ok) return;
    if (isRelayRoute(route, this.#init.peerRelays)) this.#relayRoute = route;
    else if (this.#direct !== null && sameRoute(this.#direct.route, route)) this.#direct.lastHeard = now;
    this.#handle(message.value, route, now);
  }

  /** Sends a probe on the current path at once (key confirmation after a handshake, RTT). */
  probeNow(): void {
    this.#probe(this.#currentRoute());
  }

  /** Closes the connection (tells the peer, best effort); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#sendControl({ type: 'close' }, this.#currentRoute());
    this.#shutdown();
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
        if (!isRelayRoute(route, this.#init.peerRelays) && !sameRoute(this.#direct?.route ?? null, route)) this.#probe(route);
        return;
      case 'probe-ack':
        return this.#onProbeAck(message.nonce, route, now);
      case 'close':
        this.#shutdown();
        return;
    }
  }

  #onProbeAck(nonce: number, route: Route, now: number): void {
    const probe = this.#probes.get(nonce);
    if (probe === undefined) return;
    this.#probes.delete(nonce);
    const rtt = now - probe.sentAt;
    if (isRelayRoute(probe.route, this.#init.peerRelays)) {
      if (this.#direct === null) this.counters.rttMs = rtt;
      return;
    }
    if (isRelayRoute(route, this.#init.peerRelays)) return; // asked directly, answered through the relay: not a direct path
    if (this.#direct !== null) {
      if (sameRoute(this.#direct.route, route)) {
        this.counters.rttMs = rtt;
        this.#direct.lastHeard = now;
      } else if (now - this.#direct.lastHeard > this.#tickMs()) {
        // The direct address in use went quiet and another answers: NAT rebinding, move there.
        this.#direct = { route, lastHeard: now };
        this.counters.rttMs = rtt;
        this.emit('path', this.path);
      }
      return;
    }
    this.#direct = { route, lastHeard: now };
    this.#directSince ??= now;
    this.counters.rttMs = rtt;
    this.counters.pathSwitches++;
    this.#stopFinder?.();
    this.#init.logger.debug('direct path', { remote: formatEndpoint(route.to), rttMs: rtt });
    this.emit('path', this.path);
  }

  #currentRoute(): Route | null {
    return this.#direct?.route ?? this.#relayRoute;
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

  #tickMs(): number {
    const { keepaliveMs, directTimeoutMs } = this.#init.timing;
    return Math.max(50, Math.min(keepaliveMs, directTimeoutMs / 3));
  }

  #scheduleTick(): void {
    const interval = this.#tickMs();
    this.#tick = this.#init.clock.setTimeout(() => {
      this.#onTick();
      if (!this.#closed) this.#scheduleTick();
    }, interval);
  }

  #onTick(): void {
    const now = this.#init.clock.now();
    const direct = this.#direct;
    if (direct !== null && now - direct.lastHeard > this.#init.timing.directTimeoutMs) {
      this.#direct = null;
      this.counters.pathSwitches++;
      this.#init.logger.debug('direct path lost, back to the relay', { remote: formatEndpoint(direct.route.to) });
      this.emit('path', this.path);
      const timer = this.#init.clock.setTimeout(() => this.startDirect(this.#init.clock.now()), this.#init.timing.reprobeMs);
      const stop = this.#stopFinder;
      this.#stopFinder = () => {
        timer.cancel();
        stop?.();
      };
    }
    this.#probe(this.#currentRoute());
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tick?.cancel();
    this.#stopFinder?.();
    this.#probes.clear();
    this.#init.onClosed();
    this.emit('close');
  }
}
