import { formatEndpoint, type Endpoint } from '@natkit/net';
import type { ControlMessage } from './control-message.js';
import type { ConnectionInit } from './connection-init.js';
import { relayCheckAfterMs } from './connection-timing.js';
import { familyOfEndpoint, isRelayRoute, type ConnectionPath, type Route } from './path.js';
import { distinctRoutes, followRelayMove, RelayAnnouncer } from './relay-move.js';

/** What the relay side needs from its connection. */
export interface ConnectionRelayHost {
  sendControl(message: ControlMessage, route: Route | null): void;
  probe(route: Route | null): void;
  /** The connection's validated direct route now (null: none). */
  direct(): Route | null;
}

/**
 * The relay side of one connection (see PeerConnection): the route data takes when there is no
 * direct path, the peer's relayed addresses, where its packets came from through our allocation,
 * the relay-moved exchange both ways (RelayAnnouncer, followRelayMove), and the allocation check
 * when a connection sending through our allocation stops hearing its peer.
 */
export class ConnectionRelay {
  #route: Route | null;
  /** The peer's relayed addresses (its latest last); grows when it announces a re-allocation. */
  #peerRelays: Endpoint[];
  /** Where the peer's packets came from through our allocation (its public address there). */
  #heardViaAllocation: Route | null = null;
  readonly #announcer: RelayAnnouncer;
  #checkAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly init: ConnectionInit,
    private readonly host: ConnectionRelayHost,
  ) {
    this.#route = init.relayRoute;
    this.#peerRelays = [...init.peerRelays];
    this.#announcer = new RelayAnnouncer(init.clock, (m, r) => host.sendControl(m, r));
  }

  /** The relay route (null: none). */
  get route(): Route | null {
    return this.#route;
  }

  /** The path data takes when no direct path is in use: through the peer's relay (from our socket), or through our allocation. */
  path(): ConnectionPath {
    const { transport } = this.init;
    const route = this.#route;
    const relay = transport.relay;
    const relayed = route?.via === 'socket' ? route.to : (relay?.relayed ?? transport.local);
    return { kind: 'relay', relay: relayed, transport: route?.via === 'allocation' ? (relay?.transport ?? 'udp') : 'udp', remote: route?.to ?? transport.local, family: familyOfEndpoint(relayed) };
  }

  /** Asks the peer over the relay route to fire a direct attempt with us (the `reprobe` message). */
  askPeerToFire(): void {
    if (this.#route !== null) this.host.sendControl({ type: 'reprobe' }, this.#route);
  }

  /** Whether `route` is relayed: through our allocation, or to one of the peer's relayed addresses. */
  isRelay(route: Route): boolean {
    return isRelayRoute(route, this.#peerRelays);
  }

  /** An authenticated packet of the peer came over `route`: a relayed one becomes the relay route. */
  heard(route: Route): void {
    if (this.isRelay(route)) this.#route = route;
    if (route.via === 'allocation') this.#heardViaAllocation = route;
  }

  /** True (and our announcement stops) when `nonce` answers our relay-moved. */
  acked(nonce: number): boolean {
    return this.#announcer.acked(nonce);
  }

  /** See PeerConnection.ourRelayChanged. */
  ourRelayChanged(relayed: Endpoint | null): void {
    this.#announcer.stop();
    const udp = this.init.transport.udpWorks !== false;
    const peerRelay = this.#peerRelays[this.#peerRelays.length - 1];
    if (relayed === null) {
      if (this.#route?.via === 'allocation' && udp && peerRelay !== undefined) this.#route = { via: 'socket', to: peerRelay };
      return;
    }
    this.init.logger.debug('our relay moved: telling the peer', { relayed: formatEndpoint(relayed) });
    this.#announcer.start(relayed, () => distinctRoutes([
      this.#route,
      this.host.direct(),
      ...(udp ? this.#peerRelays.map((to): Route => ({ via: 'socket', to })) : []),
      this.#heardViaAllocation,
      ...(this.init.peerPublic ?? []).map((to): Route => ({ via: 'allocation', to })),
    ]));
  }

  /** The peer re-allocated: follow it to its new relayed address (only at our natkit server's relay), and answer. */
  onRelayMoved(nonce: number, relayed: Endpoint, route: Route): void {
    if (!(this.init.isTrustedRelay?.(relayed) ?? false)) {
      this.init.logger.debug('relay-moved to an address not at our relay server: ignored', { relayed: formatEndpoint(relayed) });
      return;
    }
    this.host.sendControl({ type: 'probe-ack', nonce }, route);
    this.peerRelayMoved(relayed);
  }

  /** See PeerConnection.peerRelayMoved; a relay route that moved is probed at once. */
  peerRelayMoved(relayed: Endpoint): void {
    const known = this.#peerRelays.length;
    const next = followRelayMove(this.#route, this.#peerRelays, relayed);
    const moved = next.relayRoute !== this.#route;
    this.#route = next.relayRoute;
    this.#peerRelays = next.peerRelays;
    if (moved || next.peerRelays.length > known) this.init.logger.debug('the peer relay moved', { relayed: formatEndpoint(relayed), routeMoved: moved });
    if (moved) this.host.probe(this.#route);
  }

  /** The peer's relayed and public addresses this connection knows: what our allocation must permit. */
  knownPeerAddresses(): Endpoint[] {
    return [...this.#peerRelays, ...(this.init.peerPublic ?? []), ...[this.#route, this.#heardViaAllocation].flatMap((r) => (r === null ? [] : [r.to]))];
  }

  /**
   * Sending (`current`: the route data takes) through our allocation without an authenticated
   * packet from the peer since `lastHeard` for `relayCheckAfterMs` (a one-way flow hears only the
   * answers to the consent probes): our NAT may have rebound, and the server then drops all we
   * send; have the allocation checked now rather than at the next relay keepalive (at most once
   * per that interval per connection).
   */
  checkWhenSilent(current: Route | null, lastHeard: number, now: number): void {
    if (current?.via !== 'allocation') return;
    const after = relayCheckAfterMs(this.init.timing);
    if (now - lastHeard < after || now - this.#checkAt < after) return;
    this.#checkAt = now;
    this.init.transport.checkRelay?.();
  }

  stop(): void {
    this.#announcer.stop();
  }
}
