import { randomInt } from 'node:crypto';
import { familyOf, formatEndpoint, normalizeAddress, type Clock, type Endpoint, type Family, type Logger, type Network, type UdpSocket } from '@natkit/net';
import type { PunchPlan } from '@natkit/punch';
import type { Candidate, Introduction, RendezvousClient, WireEndpoint } from '@natkit/rendezvous';
import { remeasureSecondFamily, secondCandidates, verifySecondFamily, withSecondFamily, type SecondFamily, type SecondFamilyDeps } from './second-family.js';
import { PeerError } from '../errors.js';
import { HandshakeResponder } from '../session/handshake-responder.js';
import { PacketType, readReceiverId } from '../session/packet.js';
import { directCandidates, directTargets, publicAddresses, relayCandidate, relayCandidates, trustedRelayIps } from './candidates.js';
import type { DirectPathFinder } from './direct-path-finder.js';
import { Handshakes } from './handshakes.js';
import type { Route } from './path.js';
import { PeerConnection, type ConnectionTransport } from './peer-connection.js';
import { relayRouteFor, type RelaySetup } from './relay-setup.js';
import { RelayKeeper } from './relay-keeper.js';
import { mappingLifetimeOf, relayKeepaliveMs, resolveConnectionTiming } from './connection-timing.js';
import { isPredictable, latestMapping, measureNat, type NatMeasurement } from './nat-measurement.js';
import { planIntroduction, punchFinder } from './punch-path-finder.js';
import { watchInterfaces } from './interface-watch.js';
import { deferredFinder, samplePredictionShift, type PredictionShift } from './prediction-shift.js';
import { PunchedSockets } from './punched-sockets.js';
import type { Session } from '../session/session.js';

import type { PeerOptions, PeerSetup } from './peer-options.js';

export type { PeerComponents, PeerOptions, PeerSetup } from './peer-options.js';

/** An introduction lets the peer's handshake in for this long. */
const INTRODUCTION_TTL_MS = 30_000;
const MAX_CONNECTIONS = 1024;
/** Peers told of a new relayed address through the rendezvous per change (within the connect limit per peer, a burst of 20). */
const MAX_RELAY_NOTIFICATIONS = 16;

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
  readonly #introductions = new Map<string, { intro: Introduction; until: number; shift?: Promise<PredictionShift | null> }>();
  readonly #handshakes: Handshakes;
  /** Responder sessions a connection was opened for (a retransmitted init returns the same session). */
  readonly #openedSessions = new WeakSet<Session>();
  readonly #responder: HandshakeResponder;
  readonly #accept = new Set<(c: PeerConnection) => void>();
  readonly #transport: ConnectionTransport;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #network: Network;
  /** Sockets a punch won on (birthday), per connection: kept for its direct path, closed with it. */
  readonly #punched = new PunchedSockets((data, route) => this.#receive(data, route));
  #nat: NatMeasurement;
  #candidates: readonly Candidate[];
  /** The second-family socket (PeerOptions.server6) and our address of it the rendezvous verified. */
  #second: SecondFamily | null;
  #verified: WireEndpoint | null;
  #offSecond: () => void = () => {};
  /** The running re-measurement of the second family (refreshNat), joined by a refresh meanwhile. */
  #secondRefresh: Promise<void> | null = null;
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
    this.#second = setup.second;
    this.#verified = setup.verified;
    this.readyMs = setup.readyMs;
    this.#clock = clock;
    this.#logger = logger;
    const keeper = (): RelayKeeper => this.#keeper;
    this.#transport = {
      local,
      localFor: (to) => {
        const second = this.#second;
        return second !== null && familyOf(to.address) === second.family ? second.local : local;
      },
      get relay() {
        const a = keeper().setup.allocation;
        return a === null ? null : { relayed: a.relayed, transport: a.transport };
      },
      get udpWorks() {
        return keeper().setup.udpWorks;
      },
      send: (bytes, route) => this.#send(bytes, route),
      checkRelay: () => keeper().checkAllocation(),
    };
    this.#responder = new HandshakeResponder({ identity: options.identity, allocateId: () => this.#freeId() });
    this.#handshakes = new Handshakes({ identity: options.identity, clock, wallClock: setup.wallClock ?? Date.now, logger, send: (b, r) => this.#send(b, r), allocateId: () => this.#freeId() });
    if (relay.udpWorks) this.#unsubscribe.push(socket.onMessage((data, from) => this.#receive(data, { via: 'socket', to: from })));
    if (setup.second !== null) this.#listenSecond(setup.second);
    this.#keeper = new RelayKeeper(relay, {
      server: options.server, credentials: () => rendezvous.relay, socket, network: setup.network, clock, logger,
      credentialsExpireAt: () => rendezvous.relayExpiresAt, renewCredentials: () => rendezvous.refreshRelay(),
      keepaliveMs: relayKeepaliveMs(setup.nat.nat, options),
      onMessage: (data, from) => this.#receive(data, { via: 'allocation', to: from }),
      onChanged: () => this.#relayChanged(),
    });
    rendezvous.on('introduce', (intro) => this.#onIntroduce(intro));
    rendezvous.on('address-verified', (m) => {
      if (this.#second !== null && m.family === this.#second.family) this.#verified = m.observed;
    });
    rendezvous.on('peer-relay', ({ from, candidates }) => this.#onPeerRelay(from, candidates));
    rendezvous.on('relay', () => this.#keeper.credentialsRenewed());
    const every = options.watchNetworkMs ?? 10_000;
    if (every !== false) {
      this.#stopWatch = watchInterfaces(setup.network, clock, every, () => {
        logger.info('interface addresses changed: measuring the NAT again');
        this.refreshNat().catch((e: unknown) => logger.warn('NAT refresh failed', { error: String(e) }));
      });
    }
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
    const [measured] = await Promise.all([measureNat(this.#options.nat ?? 'diagnose', this.#options.server, this.#socket, deps), this.#refreshSecond(deps)]);
    let nat = withSecondFamily(measured, this.#second);
    // Our socket's mapping to the server is an old allocation on a sequential NAT: predictions start from the latest.
    const latest = nat.srflx !== null && isPredictable(nat.nat) ? await latestMapping(this.#options.server, this.#socket.family, deps) : null;
    if (latest !== null) nat = { ...nat, srflx: latest };
    if (this.#closed) return nat;
    this.#nat = nat;
    this.#candidates = this.#ownCandidates();
    this.#rendezvous.update(nat.nat, this.#candidates);
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
    const second = this.#second === null ? null : { local: this.#second.local, verified: this.#verified };
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
    await this.#freshenBase();
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
    this.#offSecond();
    await this.#rendezvous.close();
    await this.#keeper.close();
    await this.#socket.close();
    await this.#second?.socket.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The second family re-measured, reopened or dropped, and verified again; one at a time (a call meanwhile joins it). */
  #refreshSecond(deps: SecondFamilyDeps): Promise<void> {
    const server6 = this.#options.server6;
    if (server6 === undefined) return Promise.resolve();
    this.#secondRefresh ??= this.#remeasureSecond(server6, deps).finally(() => {
      this.#secondRefresh = null;
    });
    return this.#secondRefresh;
  }

  async #remeasureSecond(server6: Endpoint, deps: SecondFamilyDeps): Promise<void> {
    const old = this.#second;
    const next = await remeasureSecondFamily(old, server6, this.#options.nat ?? 'diagnose', deps);
    const moved = next?.socket !== old?.socket;
    if (this.#closed) {
      if (moved) await next?.socket.close();
      return;
    }
    this.#second = next;
    if (moved) {
      this.#verified = null; // the old socket's address: not ours any more
      this.#offSecond();
      this.#offSecond = () => {};
      if (next !== null) this.#listenSecond(next);
      await old?.socket.close();
    }
    // Gone: the update without its candidates unbinds the address at the rendezvous too.
    const verified = next === null ? null : await verifySecondFamily(next, this.#rendezvous, deps);
    if (!this.#closed && this.#second === next) this.#verified = verified ?? (moved ? null : this.#verified);
  }

  #listenSecond(second: SecondFamily): void {
    this.#offSecond = second.socket.onMessage((data, from) => this.#receive(data, { via: 'socket', to: from }));
  }

  get #relay(): RelaySetup {
    return this.#keeper.setup;
  }

  /**
   * Our allocation was lost or replaced: announce the candidates, permit the introduced peers and
   * those of running connections on the new one, and tell the connections (each tells its peer).
   */
  #relayChanged(): void {
    if (this.#closed) return;
    this.#candidates = this.#ownCandidates();
    this.#rendezvous.update(this.#nat.nat, this.#candidates);
    const now = this.#clock.now();
    for (const { intro, until } of this.#introductions.values()) if (until >= now) this.#permit(intro);
    const allocation = this.#relay.allocation;
    const connections = [...this.#connections.values()];
    if (allocation !== null && connections.length > 0) {
      const ips = new Set(connections.flatMap((c) => c.knownPeerAddresses()).filter((e) => familyOf(e.address) === allocation.socket.family).map((e) => normalizeAddress(e.address)));
      void allocation.socket.permit([...ips].map((address) => ({ address, port: 0 }))).catch((e: unknown) => this.#logger.debug('permission failed', { error: String(e) }));
    }
    for (const c of connections) c.ourRelayChanged(allocation?.relayed ?? null);
    // Also through the rendezvous (after the update above): when both relays moved at once,
    // neither side's relay-moved finds the other on a UDP route.
    if (allocation !== null) for (const peerId of [...new Set(connections.map((c) => c.remotePeerId))].slice(0, MAX_RELAY_NOTIFICATIONS)) this.#rendezvous.notifyRelay(peerId);
  }

  /** The rendezvous passed a peer's relay candidates after it moved: connections to it follow (at our relay only). */
  #onPeerRelay(from: string, candidates: readonly Candidate[]): void {
    if (this.#closed) return;
    const relays = relayCandidates(candidates, trustedRelayIps(this.#options.server, this.#relay));
    for (const c of this.#connections.values()) if (c.remotePeerId === from) for (const r of relays) c.peerRelayMoved(r);
  }

  /** Lets the peer's packets through our relay: its public IP as the server saw it and as it claims. */
  #permit(intro: Introduction): void {
    const allocation = this.#relay.allocation;
    const ips = [intro.peer.observed, ...publicAddresses(intro.peer), ...this.#peerRelays(intro)];
    if (allocation !== null) void allocation.socket.permit(ips).catch((e: unknown) => this.#logger.debug('permission failed', { error: String(e) }));
  }

  #onIntroduce(intro: Introduction): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const [id, i] of this.#introductions) if (i.until < now) this.#introductions.delete(id);
    this.#introductions.set(intro.peer.peerId, { intro, until: now + INTRODUCTION_TTL_MS, ...this.#sampleShift(intro) });
    this.#permit(intro);
    if (intro.role === 'initiator') this.#handshakes.start(intro, this.#relayRoute(intro), this.#directTargets(intro), now, (session, route) => this.#open(session, intro, route, now));
  }

  /** The first route through a relay (see relayRouteFor). */
  #relayRoute(intro: Introduction): Route | null {
    return relayRouteFor(this.#relay, { relays: this.#peerRelays(intro), publicAddresses: publicAddresses(intro.peer), observed: intro.peer.observed });
  }

  /** The peer's relay candidates at our natkit server's relay; any other address is its claim alone. */
  #peerRelays(intro: Introduction): Endpoint[] {
    return relayCandidates(intro.peer.candidates, trustedRelayIps(this.#options.server, this.#relay));
  }

  #directTargets(intro: Introduction): Endpoint[] {
    if (this.#options.directPath === false || !this.#relay.udpWorks) return [];
    return directTargets(intro.peer, this.#rendezvous.observed, this.#families());
  }

  #open(session: Session, intro: Introduction, route: Route, startedAt: number): PeerConnection {
    const timing = resolveConnectionTiming({ mappingLifetimeSeconds: mappingLifetimeOf(this.#nat.nat), ...this.#options });
    const peerRelays = this.#peerRelays(intro);
    const targets = this.#directTargets(intro);
    const isRelay = route.via === 'allocation' || peerRelays.some((r) => r.address === route.to.address && r.port === route.to.port);
    const log = this.#logger.child(`connection:${intro.peer.peerId.slice(0, 12)}`);
    const connection = new PeerConnection({
      session, transport: this.#transport, peerRelays, directTargets: targets, timing, startedAt,
      finder: this.#finderFor(intro, session, targets, log),
      relayRoute: isRelay ? route : this.#relayRoute(intro),
      peerPublic: publicAddresses(intro.peer),
      isTrustedRelay: (e) => trustedRelayIps(this.#options.server, this.#relay).includes(normalizeAddress(e.address)),
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

  /** This connection's direct-path strategy: the caller's fixed one, or the punch plan of this pair. */
  #finderFor(intro: Introduction, session: Session, targets: readonly Endpoint[], logger: Logger): DirectPathFinder | null {
    if (this.#options.directPath === false || !this.#relay.udpWorks) return null;
    if (this.#options.finder !== undefined) return targets.length === 0 ? null : this.#options.finder;
    const me = { observed: this.#rendezvous.observed, nat: this.#nat.nat, candidates: this.#candidates, verified: this.#verified === null ? [] : [this.#verified] };
    const plan = (ownShift: number) => (): PunchPlan => planIntroduction(intro, me, { mine: this.#relay.allocation !== null, peers: this.#peerRelays(intro).length > 0 }, this.#options.punchLimits, ownShift);
    const finder = (ownShift: number): DirectPathFinder => this.#punchFinder(plan(ownShift), intro, session, logger);
    const provisional = finder(0);
    logger.info('direct path plan', { strategy: provisional.strategy, reason: provisional.reason });
    const entry = this.#introductions.get(intro.peer.peerId);
    if (entry?.intro !== intro || entry.shift === undefined || provisional.strategy !== 'port-prediction') return provisional;
    return deferredFinder(provisional, entry.shift.then((s) => {
      logger.debug('prediction shift', { shift: s?.shift ?? 'unknown' });
      return s === null || s.shift === 0 ? provisional : finder(s.shift);
    }));
  }

  /** `plan` plans the pair (a new seed each call): once for the first attempt, again for a repeated one. */
  #punchFinder(plan: () => PunchPlan, intro: Introduction, session: Session, logger: Logger): DirectPathFinder {
    return punchFinder({
      plan: plan(), replan: plan, role: intro.role === 'initiator' ? 'controlling' : 'controlled', socket: this.#second === null ? this.#socket : [this.#socket, this.#second.socket], network: this.#network,
      key: session.punchKey, logger, adopt: (socket) => this.#punched.adopt(session.localId, socket, !this.#closed && this.#connections.has(session.localId)),
      admitExtraSockets: () => this.#punched.admit(), onAttemptEnd: () => this.#afterPunch(),
    });
  }

  /**
   * As the responder on a predictable NAT: our latest allocation now, and how far it moved since
   * the base the peer got (see samplePredictionShift); the sample is announced as the new base.
   */
  #sampleShift(intro: Introduction): { shift?: Promise<PredictionShift | null> } {
    if (intro.role !== 'responder' || this.#options.directPath === false || !this.#relay.udpWorks || this.#options.finder !== undefined || !isPredictable(this.#nat.nat)) return {};
    const deps = { network: this.#network, clock: this.#clock, logger: this.#logger };
    const shift = samplePredictionShift(this.#options.server, this.#socket.family, this.#nat.nat, this.#candidates, deps).catch((e: unknown) => {
      this.#logger.debug('prediction base not sampled', { error: String(e) });
      return null;
    });
    void shift.then((s) => {
      if (s !== null) this.#announceBase(s.base);
    });
    return { shift };
  }

  /**
   * As the initiator on a predictable NAT: our latest allocation now, announced (`update`) before
   * the `connect`, so that the introduction carries it and the peer predicts our ports from it,
   * not from a base that other sockets behind our NAT moved past since we registered (the
   * rendezvous handles one connection's messages in order). A failed sample keeps the old base.
   */
  async #freshenBase(): Promise<void> {
    if (this.#options.directPath === false || !this.#relay.udpWorks || this.#options.finder !== undefined || !isPredictable(this.#nat.nat)) return;
    const deps = { network: this.#network, clock: this.#clock, logger: this.#logger };
    const base = await latestMapping(this.#options.server, this.#socket.family, deps).catch((e: unknown) => {
      this.#logger.debug('prediction base not sampled', { error: String(e) });
      return null;
    });
    const announced = this.#nat.srflx;
    if (base === null || (announced !== null && announced.address === base.address && announced.port === base.port)) return;
    this.#logger.debug('prediction base moved since announced: announcing the latest', { was: announced === null ? 'none' : formatEndpoint(announced), now: formatEndpoint(base) });
    this.#announceBase(base);
  }

  #announceBase(base: Endpoint): void {
    if (this.#closed) return;
    this.#nat = { ...this.#nat, srflx: base };
    this.#candidates = this.#ownCandidates();
    this.#rendezvous.update(this.#nat.nat, this.#candidates);
  }

  /**
   * On a predictable (sequential) NAT a punch used up ports past the registered srflx: announce
   * the latest allocation as the new base, so the next pair's port predictions start right.
   */
  #afterPunch(): void {
    if (this.#closed || !isPredictable(this.#nat.nat)) return;
    const deps = { network: this.#network, clock: this.#clock, logger: this.#logger };
    void latestMapping(this.#options.server, this.#socket.family, deps).then((base) => {
      if (base !== null) this.#announceBase(base);
    }, (e: unknown) => this.#logger.debug('prediction base not refreshed', { error: String(e) }));
  }

  #receive(data: Uint8Array, route: Route): void {
    const type = data[0];
    if (this.#closed || type === undefined || type < PacketType.HandshakeInit || type > PacketType.Transport) return;
    if (type === PacketType.HandshakeInit) return this.#onInit(data, route);
    if (type === PacketType.HandshakeResponse) return this.#handshakes.onResponse(data, route);
    const id = readReceiverId(data);
    if (id !== undefined) this.#connections.get(id)?.receive(data, route);
  }

  #onInit(data: Uint8Array, route: Route): void {
    const accepted = this.#responder.handleInit(data, this.#clock.now());
    if (!accepted.ok) return;
    const { remotePeerId, session, response } = accepted.value;
    const introduced = this.#introductions.get(remotePeerId);
    if (introduced === undefined || introduced.until < this.#clock.now()) {
      this.#logger.debug('handshake from a peer without an introduction, dropped', { peer: remotePeerId });
      return;
    }
    this.#send(response, route);
    // A retransmit opens the connection too when its first copy came before the introduction (the
    // responder remembered that init, but nobody opened its session); a session is opened once.
    if (this.#openedSessions.has(session) || this.#connections.size >= MAX_CONNECTIONS) return;
    this.#openedSessions.add(session);
    const connection = this.#open(session, introduced.intro, route, introduced.intro.receivedAt);
    for (const h of [...this.#accept]) h(connection);
  }

  #send(bytes: Uint8Array, route: Route): void {
    if (this.#closed) return;
    if (route.via === 'socket') (route.socket ?? this.#socketFor(route.to)).send(bytes, route.to);
    else this.#relay.allocation?.socket.send(bytes, route.to);
  }

  /** Our socket of `to`'s family: the second one for its family, else the main one. */
  #socketFor(to: Endpoint): UdpSocket {
    return this.#second !== null && familyOf(to.address) === this.#second.family ? this.#second.socket : this.#socket;
  }

  /** Families we can send direct probes over. */
  #families(): Family[] {
    return [this.#socket.family, ...(this.#second === null ? [] : [this.#second.family])];
  }

  /** Our candidates: the main socket's, the second socket's, our relayed address. */
  #ownCandidates(): Candidate[] {
    return [...directCandidates(this.#transport.local, this.#nat), ...secondCandidates(this.#second), ...relayCandidate(this.#relay)];
  }

  #freeId(): number {
    for (;;) {
      const id = randomInt(1, 2 ** 32 - 1);
      if (!this.#connections.has(id) && !this.#handshakes.has(id)) return id;
    }
  }
}
