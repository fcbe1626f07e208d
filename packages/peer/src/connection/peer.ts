import { randomInt } from 'node:crypto';
import { type Clock, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import type { Candidate, Introduction, RendezvousClient } from '@natkit/rendezvous';
import { secondCandidates, withSecondFamily } from './second-family.js';
import { SecondFamilySocket } from './second-family-socket.js';
import { PeerError } from '../errors.js';
import { PacketType, readReceiverId } from '../session/packet.js';
import { directCandidates, directTargets, publicAddresses, relayCandidate } from './candidates.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import { Handshakes } from './handshakes.js';
import type { Route } from './path.js';
import { PeerConnection, type ConnectionTransport } from './peer-connection.js';
import type { RelaySetup } from './relay-setup.js';
import { RelayPeering } from './relay-peering.js';
import { RelayKeeper } from './relay-keeper.js';
import { mappingLifetimeOf, relayKeepaliveMs, resolveConnectionTiming } from './connection-timing.js';
import { isPredictable, latestMapping, measureNat, type NatMeasurement } from './nat-measurement.js';
import { pairFinder } from './pair-finder.js';
import { watchInterfaces } from './interface-watch.js';
import { PredictionBase } from './prediction-base.js';
import { PunchedSockets } from './punched-sockets.js';
import { peerTransport } from './peer-transport.js';
import { Introductions } from './introductions.js';
import type { Session } from '../session/session.js';

import type { PeerOptions, PeerSetup } from './peer-options.js';

export type { PeerComponents, PeerOptions, PeerSetup } from './peer-options.js';

const MAX_CONNECTIONS = 1024;

/** A registered natkit peer: one UDP socket, a relay allocation, a rendezvous session. */
export class Peer {
  readonly peerId: string;
  readonly #socket: UdpSocket;
  readonly #rendezvous: RendezvousClient;
  readonly #keeper: RelayKeeper;
  readonly #options: PeerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #connections = new Map<number, PeerConnection>();
  readonly #introductions: Introductions;
  readonly #handshakes: Handshakes;
  readonly #accept = new Set<(c: PeerConnection) => void>();
  readonly #transport: ConnectionTransport;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #network: Network;
  /** Sockets a punch won on (birthday), per connection: kept for its direct path, closed with it. */
  readonly #punched = new PunchedSockets((data, route) => this.#receive(data, route));
  #nat: NatMeasurement;
  #candidates: readonly Candidate[];
  /** The second-family socket (PeerOptions.server6) and our address of it the rendezvous verified. */
  readonly #second: SecondFamilySocket;
  readonly #relayPeering: RelayPeering;
  readonly #predictionBase: PredictionBase;
  #stopWatch: () => void = () => {};
  /** Time createPeer took to be ready (NAT measured, registered, relay allocated), ms. */
  readonly readyMs: number;
  #closed = false;

  /** @internal use createPeer() */
  constructor(options: PeerOptions, setup: PeerSetup, clock: Clock, logger: Logger) {
    const { socket, local, rendezvous, relay } = setup;
    this.#options = options;
    this.peerId = options.identity.peerId;
    this.#socket = socket;
    this.#rendezvous = rendezvous;
    this.#network = setup.network;
    this.#nat = setup.nat;
    this.#candidates = setup.candidates;
    this.readyMs = setup.readyMs;
    this.#clock = clock;
    this.#logger = logger;
    this.#introductions = new Introductions({
      identity: options.identity, allocateId: () => this.#freeId(), clock, logger, send: (b, r) => this.#transport.send(b, r),
      canOpen: () => this.#connections.size < MAX_CONNECTIONS,
      open: (session, intro, route, startedAt) => {
        const connection = this.#open(session, intro, route, startedAt);
        for (const h of [...this.#accept]) h(connection);
      },
    });
    this.#handshakes = new Handshakes({ identity: options.identity, clock, wallClock: setup.wallClock ?? Date.now, logger, send: (b, r) => this.#transport.send(b, r), allocateId: () => this.#freeId() });
    if (relay.udpWorks) this.#unsubscribe.push(socket.onMessage((data, from) => this.#receive(data, { via: 'socket', to: from })));
    this.#second = new SecondFamilySocket(setup.second, setup.verified, {
      server6: options.server6, nat: options.nat ?? 'diagnose', rendezvous, isClosed: () => this.#closed,
      onMessage: (data, from) => this.#receive(data, { via: 'socket', to: from }),
    });
    this.#transport = peerTransport({ socket, local, second: this.#second, keeper: () => this.#keeper, isClosed: () => this.#closed });
    this.#keeper = new RelayKeeper(relay, {
      server: options.server, credentials: () => rendezvous.relay, socket, network: setup.network, clock, logger,
      credentialsExpireAt: () => rendezvous.relayExpiresAt, renewCredentials: () => rendezvous.refreshRelay(),
      keepaliveMs: relayKeepaliveMs(setup.nat.nat, options),
      onMessage: (data, from) => this.#receive(data, { via: 'allocation', to: from }),
      onChanged: () => this.#relayChanged(),
    });
    this.#relayPeering = new RelayPeering({ server: options.server, relay: () => this.#relay, rendezvous, logger });
    this.#predictionBase = new PredictionBase({
      server: options.server, family: socket.family, network: setup.network, clock, logger,
      nat: () => this.#nat, candidates: () => this.#candidates, isClosed: () => this.#closed, announce: (base) => this.#announceBase(base),
      plansPunches: () => options.directPath !== false && this.#relay.udpWorks && options.finder === undefined,
    });
    rendezvous.on('introduce', (intro) => this.#onIntroduce(intro));
    rendezvous.on('address-verified', (m) => this.#second.onVerified(m.family, m.observed));
    rendezvous.on('peer-relay', ({ from, candidates }) => {
      if (!this.#closed) this.#relayPeering.peerRelayMoved(from, candidates, this.#connections.values());
    });
    rendezvous.on('relay', () => this.#keeper.credentialsRenewed());
    const every = options.watchNetworkMs ?? 10_000;
    if (every !== false) this.#stopWatch = watchInterfaces(setup.network, clock, every, () => this.#networkChanged());
  }

  /** The NAT measurement registered at the rendezvous (profile, server-reflexive address, what was unknown). */
  get nat(): NatMeasurement {
    return this.#nat;
  }

  /**
   * Measures the NAT again (after a network change) and announces the new profile and candidates
   * at the rendezvous. Automatic when the host's interface addresses change (`watchNetworkMs`).
   * A dual-stack peer (`server6`) re-measures its second family too (a new socket when its local
   * address changed or the family appeared, none when it went away) and proves its address to
   * the rendezvous again before the announcement.
   */
  async refreshNat(options: { readonly signal?: AbortSignal } = {}): Promise<NatMeasurement> {
    if (this.#closed) throw new PeerError('ERR_PEER_CLOSED', 'the peer is closed');
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const deps = { network: this.#network, clock: this.#clock, logger: this.#logger, ...signal };
    const [measured] = await Promise.all([measureNat(this.#options.nat ?? 'diagnose', this.#options.server, this.#socket, deps), this.#second.refresh(deps)]);
    let nat = withSecondFamily(measured, this.#second.current);
    // Our socket's mapping to the server is an old allocation on a sequential NAT: predictions start from the latest.
    const latest = nat.srflx !== null && isPredictable(nat.nat) ? await latestMapping(this.#options.server, this.#socket.family, deps) : null;
    if (latest !== null) nat = { ...nat, srflx: latest };
    if (this.#closed) return nat;
    this.#nat = nat;
    this.#announce();
    this.#logger.debug('nat refreshed', { srflx: nat.srflx === null ? 'none' : `${nat.srflx.address}:${nat.srflx.port}` });
    return nat;
  }

  /**
   * Our UDP socket's address and, when we have one, our relayed address; `second`: the socket of
   * the other family (PeerOptions.server6) with its address as the rendezvous verified it (null
   * when it did not).
   */
  get addresses(): { readonly local: Endpoint; readonly relayed: Endpoint | null; readonly mapped: Endpoint | null; readonly relayTransport: string | null; readonly second: { readonly local: Endpoint; readonly verified: Endpoint | null } | null } {
    const a = this.#relay.allocation;
    const s = this.#second.current;
    const second = s === null ? null : { local: s.local, verified: this.#second.verified };
    return { local: this.#transport.local, relayed: a?.relayed ?? null, mapped: a?.transport === 'udp' ? (a.mapped ?? null) : null, relayTransport: a?.transport ?? null, second };
  }

  /** Why there is no relay, when there is none. */
  get relayProblem(): string | null {
    return this.#relay.problem;
  }

  /** Adds a handler for connections other peers open to us; returns its remover. */
  onConnection(handler: (connection: PeerConnection) => void): () => void {
    this.#accept.add(handler);
    return () => this.#accept.delete(handler);
  }

  /** Opens an end-to-end encrypted connection to `peerId` (relay first, direct when found). */
  async connect(peerId: string, options: { readonly signal?: AbortSignal } = {}): Promise<PeerConnection> {
    if (this.#closed) throw new PeerError('ERR_PEER_CLOSED', 'the peer is closed');
    const startedAt = this.#clock.now();
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    await this.#predictionBase.freshen();
    const intro = await this.#rendezvous.connect(peerId, signal);
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    return this.#handshakes.wait(intro.connectionId, timeoutMs, startedAt, options.signal, () => `no handshake answer from ${peerId} within ${timeoutMs} ms, neither through the relay nor directly`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatch();
    for (const c of [...this.#connections.values()]) c.close();
    this.#handshakes.close();
    for (const u of this.#unsubscribe) u();
    this.#second.stopListening();
    await this.#rendezvous.close();
    await this.#keeper.close();
    await this.#socket.close();
    await this.#second.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #networkChanged(): void {
    this.#logger.info('interface addresses changed: measuring the NAT again');
    this.refreshNat().catch((e: unknown) => this.#logger.warn('NAT refresh failed', { error: String(e) }));
  }

  get #relay(): RelaySetup {
    return this.#keeper.setup;
  }

  /**
   * Our allocation was lost or replaced: announce the candidates, then permit the introduced peers
   * and those of running connections on the new one and tell the connections (RelayPeering).
   */
  #relayChanged(): void {
    if (this.#closed) return;
    this.#announce();
    const now = this.#clock.now();
    this.#relayPeering.ourRelayChanged(this.#introductions.live(now), [...this.#connections.values()]);
  }

  #onIntroduce(intro: Introduction): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#introductions.add(intro, now, this.#predictionBase.sampleShift(intro));
    this.#relayPeering.permit(intro);
    if (intro.role === 'initiator') this.#handshakes.start(intro, this.#relayPeering.relayRoute(intro), this.#directTargets(intro), now, (session, route) => this.#open(session, intro, route, now));
  }

  #directTargets(intro: Introduction): Endpoint[] {
    if (this.#options.directPath === false || !this.#relay.udpWorks) return [];
    return directTargets(intro.peer, this.#rendezvous.observed, this.#second.families(this.#socket.family));
  }

  #open(session: Session, intro: Introduction, route: Route, startedAt: number): PeerConnection {
    const timing = resolveConnectionTiming({ mappingLifetimeSeconds: mappingLifetimeOf(this.#nat.nat), ...this.#options });
    const peerRelays = this.#relayPeering.peerRelays(intro);
    const targets = this.#directTargets(intro);
    const isRelay = route.via === 'allocation' || peerRelays.some((r) => r.address === route.to.address && r.port === route.to.port);
    const log = this.#logger.child(`connection:${intro.peer.peerId.slice(0, 12)}`);
    const connection = new PeerConnection({
      session, transport: this.#transport, peerRelays, directTargets: targets, timing, startedAt,
      finder: this.#finderFor(intro, session, targets, log),
      relayRoute: isRelay ? route : this.#relayPeering.relayRoute(intro),
      peerPublic: publicAddresses(intro.peer),
      isTrustedRelay: (e) => this.#relayPeering.isTrustedRelay(e),
      clock: this.#clock, logger: log,
      onClosed: () => {
        this.#connections.delete(session.localId);
        this.#punched.release(session.localId);
      },
    });
    this.#connections.set(session.localId, connection);
    connection.probeNow();
    connection.startDirect(intro.fireAt);
    return connection;
  }

  /** This connection's direct-path strategy (see pairFinder). */
  #finderFor(intro: Introduction, session: Session, targets: readonly Endpoint[], logger: Logger): DirectPathFinder | null {
    const verified = this.#second.verified;
    return pairFinder({ intro, session, targets, logger, shift: this.#introductions.shiftOf(intro) }, {
      options: this.#options, udpWorks: this.#relay.udpWorks, network: this.#network,
      me: { observed: this.#rendezvous.observed, nat: this.#nat.nat, candidates: this.#candidates, verified: verified === null ? [] : [verified] },
      relays: () => ({ mine: this.#relay.allocation !== null, peers: this.#relayPeering.peerRelays(intro).length > 0 }),
      sockets: () => this.#second.withMain(this.#socket),
      adopt: (socket) => this.#punched.adopt(session.localId, socket, !this.#closed && this.#connections.has(session.localId)),
      admitExtraSockets: () => this.#punched.admit(), onAttemptEnd: () => this.#predictionBase.afterPunch(),
    });
  }

  #announceBase(base: Endpoint): void {
    if (this.#closed) return;
    this.#nat = { ...this.#nat, srflx: base };
    this.#announce();
  }

  /** Our NAT profile and candidates (the main socket's, the second socket's, our relayed address) to the rendezvous. */
  #announce(): void {
    this.#candidates = [...directCandidates(this.#transport.local, this.#nat), ...secondCandidates(this.#second.current), ...relayCandidate(this.#relay)];
    this.#rendezvous.update(this.#nat.nat, this.#candidates);
  }

  #receive(data: Uint8Array, route: Route): void {
    const type = data[0];
    if (this.#closed || type === undefined || type < PacketType.HandshakeInit || type > PacketType.Transport) return;
    if (type === PacketType.HandshakeInit) return this.#introductions.onInit(data, route);
    if (type === PacketType.HandshakeResponse) return this.#handshakes.onResponse(data, route);
    const id = readReceiverId(data);
    if (id !== undefined) this.#connections.get(id)?.receive(data, route);
  }

  #freeId(): number {
    for (;;) {
      const id = randomInt(1, 2 ** 32 - 1);
      if (!this.#connections.has(id) && !this.#handshakes.has(id)) return id;
    }
  }
}
