import { familyOf, normalizeAddress, type Endpoint, type Logger } from '@natkit/net';
import type { Candidate, Introduction, RendezvousClient } from '@natkit/rendezvous';
import { publicAddresses, relayCandidates, trustedRelayIps } from './candidates.js';
import type { Route } from './path.js';
import type { PeerConnection } from './peer-connection.js';
import { relayRouteFor, type RelaySetup } from './relay-setup.js';

/** Peers told of a new relayed address through the rendezvous per change (within the connect limit per peer, a burst of 20). */
const MAX_RELAY_NOTIFICATIONS = 16;

export interface RelayPeeringDeps {
  /** Our natkit server: its relay's addresses are the trusted ones. */
  readonly server: Endpoint;
  /** Our relay as it is now (it changes on a re-allocation). */
  readonly relay: () => RelaySetup;
  readonly rendezvous: Pick<RendezvousClient, 'notifyRelay'>;
  readonly logger: Logger;
}

/**
 * Our relay toward the peers: their relay candidates we trust, the permissions our allocation
 * gives them, and the relay moves on either side told to the connections.
 */
export class RelayPeering {
  readonly #deps: RelayPeeringDeps;

  constructor(deps: RelayPeeringDeps) {
    this.#deps = deps;
  }

  /** The peer's relay candidates at our natkit server's relay; any other address is its claim alone. */
  peerRelays(intro: Introduction): Endpoint[] {
    return relayCandidates(intro.peer.candidates, this.#trustedIps());
  }

  /** The first route through a relay (see relayRouteFor). */
  relayRoute(intro: Introduction): Route | null {
    return relayRouteFor(this.#deps.relay(), { relays: this.peerRelays(intro), publicAddresses: publicAddresses(intro.peer), observed: intro.peer.observed });
  }

  /** Whether `e` is at our natkit server's relay. */
  isTrustedRelay(e: Endpoint): boolean {
    return this.#trustedIps().includes(normalizeAddress(e.address));
  }

  /** Lets the peer's packets through our relay: its public IP as the server saw it and as it claims. */
  permit(intro: Introduction): void {
    const allocation = this.#deps.relay().allocation;
    const ips = [intro.peer.observed, ...publicAddresses(intro.peer), ...this.peerRelays(intro)];
    if (allocation !== null) void allocation.socket.permit(ips).catch((e: unknown) => this.#deps.logger.debug('permission failed', { error: String(e) }));
  }

  /**
   * Our allocation was lost or replaced (the candidates already announced): permit the introduced
   * peers and those of running connections on the new one, and tell the connections (each tells
   * its peer).
   */
  ourRelayChanged(introduced: Iterable<Introduction>, connections: readonly PeerConnection[]): void {
    for (const intro of introduced) this.permit(intro);
    const allocation = this.#deps.relay().allocation;
    if (allocation !== null && connections.length > 0) {
      const ips = new Set(connections.flatMap((c) => c.knownPeerAddresses()).filter((e) => familyOf(e.address) === allocation.socket.family).map((e) => normalizeAddress(e.address)));
      void allocation.socket.permit([...ips].map((address) => ({ address, port: 0 }))).catch((e: unknown) => this.#deps.logger.debug('permission failed', { error: String(e) }));
    }
    for (const c of connections) c.ourRelayChanged(allocation?.relayed ?? null);
    // Also through the rendezvous (after the update): when both relays moved at once,
    // neither side's relay-moved finds the other on a UDP route.
    if (allocation !== null) for (const peerId of [...new Set(connections.map((c) => c.remotePeerId))].slice(0, MAX_RELAY_NOTIFICATIONS)) this.#deps.rendezvous.notifyRelay(peerId);
  }

  /** The rendezvous passed a peer's relay candidates after it moved: connections to it follow (at our relay only). */
  peerRelayMoved(from: string, candidates: readonly Candidate[], connections: Iterable<PeerConnection>): void {
    const relays = relayCandidates(candidates, this.#trustedIps());
    for (const c of connections) if (c.remotePeerId === from) for (const r of relays) c.peerRelayMoved(r);
  }

  #trustedIps(): string[] {
    return trustedRelayIps(this.#deps.server, this.#deps.relay());
  }
}
