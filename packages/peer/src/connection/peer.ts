import { randomInt } from 'node:crypto';
import { formatEndpoint, silentLogger, systemClock, type Clock, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import type { Identity } from '@natkit/identity';
import { connectRendezvous, RENDEZVOUS_PATH, type Candidate, type Introduction, type NatProfile, type RendezvousClient } from '@natkit/rendezvous';
import { PeerError } from '../errors.js';
import { HandshakeResponder } from '../session/handshake-responder.js';
import { PacketType, readReceiverId } from '../session/packet.js';
import { directTargets, publicAddresses, relayCandidates } from './candidates.js';
import { simultaneousOpen, type DirectPathFinder } from './direct-path-finder.js';
import { Handshakes } from './handshakes.js';
import type { Route } from './path.js';
import { PeerConnection, type ConnectionTransport } from './peer-connection.js';
import { relayRouteFor, setupRelay, type RelayMode, type RelaySetup } from './relay-setup.js';
import { resolveConnectionTiming, type ConnectionTimingOptions } from './connection-timing.js';

/** Also the connections' liveness timing (keepalive from the mapping lifetime, consent, re-probe, idle close): see ConnectionTimingOptions. */
export interface PeerOptions extends ConnectionTimingOptions {
  /** The natkit server (STUN, TURN and rendezvous on one port number): an IP literal and port. */
  readonly server: Endpoint;
  readonly identity: Identity;
  /** Default `ws://SERVER/rendezvous`. */
  readonly rendezvousUrl?: string;
  /** 'auto' (UDP, then TCP when UDP is blocked), 'udp', 'tcp', or false (no relay). */
  readonly relay?: RelayMode;
  /** Look for a direct path (default true); false keeps every connection on the relay. */
  readonly directPath?: boolean;
  /** The direct-path strategy; default simultaneousOpen(). */
  readonly finder?: DirectPathFinder;
  /** Time a connect() waits for the handshake, ms; default 10 s. */
  readonly connectTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface PeerComponents {
  readonly network: Network;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const UNKNOWN_NAT: NatProfile = { ipv4: null, ipv6: null };
/** An introduction lets the peer's handshake in for this long. */
const INTRODUCTION_TTL_MS = 30_000;
const MAX_CONNECTIONS = 1024;

/** A registered natkit peer: one UDP socket, a relay allocation, a rendezvous session. */
export class Peer {
  readonly peerId: string;
  readonly #socket: UdpSocket;
  readonly #rendezvous: RendezvousClient;
  readonly #relay: RelaySetup;
  readonly #options: PeerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #connections = new Map<number, PeerConnection>();
  readonly #introductions = new Map<string, { intro: Introduction; until: number }>();
  readonly #handshakes: Handshakes;
  readonly #responder: HandshakeResponder;
  readonly #accept = new Set<(c: PeerConnection) => void>();
  readonly #transport: ConnectionTransport;
  readonly #unsubscribe: (() => void)[] = [];
  #closed = false;

  /** @internal use createPeer() */
  constructor(options: PeerOptions, socket: UdpSocket, local: Endpoint, rendezvous: RendezvousClient, relay: RelaySetup, clock: Clock, logger: Logger) {
    this.#options = options;
    this.peerId = options.identity.peerId;
    this.#socket = socket;
    this.#rendezvous = rendezvous;
    this.#relay = relay;
    this.#clock = clock;
    this.#logger = logger;
    const allocation = relay.allocation;
    this.#transport = {
      local,
      relay: allocation === null ? null : { relayed: allocation.relayed, transport: allocation.transport },
      send: (bytes, route) => this.#send(bytes, route),
    };
    this.#responder = new HandshakeResponder({ identity: options.identity, allocateId: () => this.#freeId() });
    this.#handshakes = new Handshakes({ identity: options.identity, clock, logger, send: (b, r) => this.#send(b, r), allocateId: () => this.#freeId() });
    if (relay.udpWorks) this.#unsubscribe.push(socket.onMessage((data, from) => this.#receive(data, { via: 'socket', to: from })));
    if (allocation !== null) this.#unsubscribe.push(allocation.socket.onMessage((data, from) => this.#receive(data, { via: 'allocation', to: from })));
    rendezvous.on('introduce', (intro) => this.#onIntroduce(intro));
  }

  /** Our UDP socket's address and, when we have one, our relayed address. */
  get addresses(): { readonly local: Endpoint; readonly relayed: Endpoint | null; readonly mapped: Endpoint | null; readonly relayTransport: string | null } {
    const a = this.#relay.allocation;
    return { local: this.#transport.local, relayed: a?.relayed ?? null, mapped: a?.transport === 'udp' ? (a.mapped ?? null) : null, relayTransport: a?.transport ?? null };
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
    const intro = await this.#rendezvous.connect(peerId, signal);
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    return this.#handshakes.wait(intro.connectionId, timeoutMs, startedAt, options.signal, () => `no handshake answer from ${peerId} within ${timeoutMs} ms, neither through the relay nor directly`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of [...this.#connections.values()]) c.close();
    this.#handshakes.close();
    for (const u of this.#unsubscribe) u();
    await this.#rendezvous.close();
    await this.#relay.allocation?.socket.close();
    await this.#socket.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #onIntroduce(intro: Introduction): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const [id, i] of this.#introductions) if (i.until < now) this.#introductions.delete(id);
    this.#introductions.set(intro.peer.peerId, { intro, until: now + INTRODUCTION_TTL_MS });
    const allocation = this.#relay.allocation;
    // Let the peer's packets through our relay: its public IP as the server saw it and as it claims.
    const ips = [intro.peer.observed, ...publicAddresses(intro.peer), ...relayCandidates(intro.peer.candidates)];
    if (allocation !== null) void allocation.socket.permit(ips).catch((e: unknown) => this.#logger.debug('permission failed', { error: String(e) }));
    if (intro.role === 'initiator') this.#handshakes.start(intro, this.#relayRoute(intro), this.#directTargets(intro), now, (session, route) => this.#open(session, intro, route, now));
  }

  /** The first route through a relay (see relayRouteFor). */
  #relayRoute(intro: Introduction): Route | null {
    return relayRouteFor(this.#relay, { relays: relayCandidates(intro.peer.candidates), publicAddresses: publicAddresses(intro.peer), observed: intro.peer.observed });
  }

  #directTargets(intro: Introduction): Endpoint[] {
    if (this.#options.directPath === false || !this.#relay.udpWorks) return [];
    return directTargets(intro.peer, this.#rendezvous.observed);
  }

  #open(session: ConstructorParameters<typeof PeerConnection>[0]['session'], intro: Introduction, route: Route, startedAt: number): PeerConnection {
    const timing = resolveConnectionTiming(this.#options);
    const peerRelays = relayCandidates(intro.peer.candidates);
    const targets = this.#directTargets(intro);
    const isRelay = route.via === 'allocation' || peerRelays.some((r) => r.address === route.to.address && r.port === route.to.port);
    const connection = new PeerConnection({
      session, transport: this.#transport, peerRelays, directTargets: targets, timing, startedAt,
      finder: targets.length === 0 ? null : (this.#options.finder ?? simultaneousOpen()),
      relayRoute: isRelay ? route : this.#relayRoute(intro),
      clock: this.#clock, logger: this.#logger.child(`connection:${intro.peer.peerId.slice(0, 12)}`),
      onClosed: () => this.#connections.delete(session.localId),
    });
    this.#connections.set(session.localId, connection);
    connection.probeNow();
    connection.startDirect(intro.fireAt);
    return connection;
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
    const { remotePeerId, session, response, retransmit } = accepted.value;
    const introduced = this.#introductions.get(remotePeerId);
    if (introduced === undefined || introduced.until < this.#clock.now()) {
      this.#logger.debug('handshake from a peer without an introduction, dropped', { peer: remotePeerId });
      return;
    }
    this.#send(response, route);
    if (retransmit || this.#connections.has(session.localId) || this.#connections.size >= MAX_CONNECTIONS) return;
    const connection = this.#open(session, introduced.intro, route, introduced.intro.receivedAt);
    for (const h of [...this.#accept]) h(connection);
  }

  #send(bytes: Uint8Array, route: Route): void {
    if (this.#closed) return;
    if (route.via === 'socket') this.#socket.send(bytes, route.to);
    else this.#relay.allocation?.socket.send(bytes, route.to);
  }

  #freeId(): number {
    for (;;) {
      const id = randomInt(1, 2 ** 32 - 1);
      if (!this.#connections.has(id) && !this.#handshakes.has(id)) return id;
    }
  }
}

/**
 * Creates a peer: binds one UDP socket, registers at the natkit server's rendezvous, allocates a
 * relay with the credentials it hands out (UDP, else TCP) and announces host, server-reflexive
 * and relayed candidates.
 */
export async function createPeer(options: PeerOptions, components: PeerComponents): Promise<Peer> {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('peer');
  const { network, server } = { network: components.network, server: options.server };
  const family = server.address.includes(':') ? 6 : 4;
  const socket = await network.bindUdp({ family });
  try {
    const localAddress = (await network.localAddressFor(server)) ?? (family === 4 ? '127.0.0.1' : '::1');
    const local = { address: localAddress, port: socket.local.port };
    const host = server.address.includes(':') ? `[${server.address}]` : server.address;
    const url = options.rendezvousUrl ?? `ws://${host}:${server.port}${RENDEZVOUS_PATH}`;
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const rendezvous = await connectRendezvous({ url, identity: options.identity, nat: UNKNOWN_NAT, candidates: [], ...signal }, { clock, logger }).catch((e: unknown) => {
      throw new PeerError('ERR_PEER_RENDEZVOUS', `cannot register at the rendezvous ${url}: ${e instanceof Error ? e.message : String(e)}`);
    });
    const relay = await setupRelay(options.relay ?? 'auto', server, rendezvous.relay, socket, { network, clock, logger, ...signal });
    const candidates: Candidate[] = [];
    if (relay.udpWorks) candidates.push({ type: 'host', ...local });
    const a = relay.allocation;
    if (a?.transport === 'udp' && a.mapped !== undefined) candidates.push({ type: 'srflx', address: a.mapped.address, port: a.mapped.port });
    if (a !== null) candidates.push({ type: 'relay', address: a.relayed.address, port: a.relayed.port });
    rendezvous.update(UNKNOWN_NAT, candidates);
    logger.debug('peer ready', { peer: options.identity.peerId, local: formatEndpoint(local), candidates: candidates.length });
    return new Peer(options, socket, local, rendezvous, relay, clock, logger);
  } catch (e) {
    await socket.close();
    throw e;
  }
}
