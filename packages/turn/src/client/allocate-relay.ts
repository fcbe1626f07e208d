import {
  formatEndpoint,
  hasStreams,
  isSameEndpoint,
  silentLogger,
  systemClock,
  type Clock,
  type Endpoint,
  type Family,
  type Logger,
  type Network,
  type TlsClientOptions,
  type UdpSocket,
} from '@natkit/net';
import {
  readAlternateServer,
  readErrorCode,
  readSoftware,
  readXorMappedAddress,
  StunClient,
  type AttributeSpec,
  type RetransmitPolicy,
} from '@natkit/stun';
import { requestedAddressFamily } from '../proto/address-family.js';
import { TRANSPORT_UDP, TurnMethod } from '../proto/constants.js';
import { lifetime, readLifetime } from '../proto/lifetime.js';
import { readXorRelayedAddresses } from '../proto/peer-address.js';
import { requestedTransport } from '../proto/requested-transport.js';
import { ClientAuthState, type LongTermCredentials } from './client-auth-state.js';
import { RelayedSocket } from './relayed-socket.js';
import { StreamControlSocket } from './stream-control-socket.js';
import { TurnClientError } from './turn-client-error.js';
import { errorAnswer, TurnSession } from './turn-session.js';

/** How the client reaches the TURN server. */
export type TurnTransport = 'udp' | 'tcp' | 'tls';

export interface AllocateOptions {
  /** The server's IP address and port (resolve names first). */
  readonly server: Endpoint;
  readonly credentials: LongTermCredentials;
  /** Default 'udp'. */
  readonly transport?: TurnTransport;
  /** TLS settings for `transport: 'tls'`. */
  readonly tls?: TlsClientOptions;
  /** Lifetime asked for, seconds (the server decides; 600 by default, RFC 8656 §7.2). */
  readonly lifetimeSeconds?: number;
  /**
   * Family of the relayed address. Omitted: IPv4 as RFC 8656 §7.2 says, and the IPv6 family when
   * an IPv6 server answers 440 (it has no IPv4 relay address).
   */
  readonly family?: Family;
  /** Bind channels to peers and send ChannelData (default true); else Send indications only. */
  readonly channels?: boolean;
  /** SOFTWARE sent in Allocate. */
  readonly software?: string;
  /**
   * UDP only: send the server a STUN Binding request after this long without other traffic to it
   * (ms), so that a NAT between client and server keeps the allocation's mapping between the
   * refreshes (minutes apart); set it below the NAT's mapping lifetime (e.g. 15-25 s). When the
   * answer shows another mapped address (the NAT rebound), the relayed socket reports
   * ERR_TURN_CLOSED to onError and stops: allocate again. Default: none.
   */
  readonly keepaliveMs?: number;
  /** Retransmissions over UDP (streams send once and wait `rtoMs`). */
  readonly policy?: RetransmitPolicy;
  /** ALTERNATE-SERVER redirects followed (default 2). */
  readonly maxRedirects?: number;
  readonly signal?: AbortSignal;
}

export interface AllocateComponents {
  readonly network: Network;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** UDP only: allocate from this socket (shared with other traffic); it is not closed. */
  readonly socket?: UdpSocket;
}

/** A live allocation: its relayed socket and what the server said about itself. */
export interface TurnAllocation {
  readonly socket: RelayedSocket;
  readonly relayed: Endpoint;
  /** The client's address as the server saw it (XOR-MAPPED-ADDRESS). */
  readonly mapped: Endpoint | undefined;
  /** The server that granted it (differs from the one asked after a redirect). */
  readonly server: Endpoint;
  readonly transport: TurnTransport;
  readonly lifetimeSeconds: number;
  readonly software: string | undefined;
  /** The server negotiated the SHA-256 password algorithm (MESSAGE-INTEGRITY-SHA256). */
  readonly integritySha256: boolean;
  readonly userhash: boolean;
  readonly redirects: readonly Endpoint[];
  /** Round-trip time of the last Allocate transaction, ms. */
  readonly allocateRttMs: number;
}

/** Interactive default over UDP: sends at 0, 250, 750, 1750, 3750 ms; gives up at 5.75 s. */
export const DEFAULT_TURN_POLICY: RetransmitPolicy = { rtoMs: 250, rc: 5, rm: 8, maxRtoMs: 2000 };
/** Over a stream: one send, 10 s for the answer (RFC 8489 §6.2.2 says 39.5 s). */
const STREAM_POLICY: RetransmitPolicy = { rtoMs: 10_000, rc: 1, rm: 1 };

/**
 * Allocates a relayed address on a TURN server (RFC 8656 §7) with long-term credentials, following
 * ALTERNATE-SERVER redirects (300), and returns a `RelayedSocket` that keeps itself alive.
 */
export async function allocateRelay(options: AllocateOptions, components: AllocateComponents): Promise<TurnAllocation> {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('turn:client');
  const auth = new ClientAuthState(options.credentials);
  const redirects: Endpoint[] = [];
  let server = options.server;
  for (let hop = 0; ; hop++) {
    const outcome = await allocateAt(server, auth, redirects, options, { ...components, clock, logger }).catch((e: unknown) => {
      // RFC 8656 §7.2: without REQUESTED-ADDRESS-FAMILY a server relays IPv4, and answers 440 when
      // it has none; a client that did not ask for a family then asks for the server's own.
      const v6 = server.address.includes(':');
      if (!(e instanceof TurnClientError) || e.status !== 440 || options.family !== undefined || !v6) throw e;
      return allocateAt(server, auth, redirects, { ...options, family: 6 }, { ...components, clock, logger });
    });
    if ('socket' in outcome) return outcome;
    const alternate = outcome.redirect;
    if (hop >= (options.maxRedirects ?? 2) || [options.server, ...redirects].some((s) => isSameEndpoint(s, alternate))) {
      throw new TurnClientError('ERR_TURN_REDIRECT', `redirect loop or too many redirects (to ${formatEndpoint(alternate)})`, 300);
    }
    logger.debug('redirected', { to: formatEndpoint(alternate) });
    redirects.push(alternate);
    server = alternate;
    auth.reset(); // RFC 8489 §10: a new server has its own realm and nonce
  }
}

type Resolved = AllocateComponents & { readonly clock: Clock; readonly logger: Logger };

/** One Allocate transaction (with its 401/438 retries) at `server`: an allocation or a redirect. */
async function allocateAt(
  server: Endpoint,
  auth: ClientAuthState,
  redirects: readonly Endpoint[],
  options: AllocateOptions,
  components: Resolved,
): Promise<TurnAllocation | { readonly redirect: Endpoint }> {
  const transport = options.transport ?? 'udp';
  const { clock, logger } = components;
  const requested = options.lifetimeSeconds ?? 600;
  const { control, owns } = await openControl(server, transport, options, components);
  const stun = new StunClient({}, { socket: control, clock, logger });
  // A connection that closes during the Allocate fails it at once, not after the stream timeout.
  const offClosed = control.onError((e) => {
    if (e instanceof TurnClientError && e.code === 'ERR_TURN_CLOSED') stun.close();
  });
  const policy = options.policy ?? (transport === 'udp' ? DEFAULT_TURN_POLICY : STREAM_POLICY);
  const session = new TurnSession(stun, auth, { server, policy, ...(options.software === undefined ? {} : { software: options.software }) });
  const attributes: AttributeSpec[] = [requestedTransport(TRANSPORT_UDP), lifetime(requested)];
  if (options.family !== undefined) attributes.push(requestedAddressFamily(options.family));
  try {
    const response = await session.exchange(TurnMethod.Allocate, attributes, options.signal);
    const m = response.message;
    if (m.class !== 'success') {
      const alternate = readErrorCode(m)?.code === 300 ? readAlternateServer(m) : undefined;
      if (alternate === undefined) throw errorAnswer(response, 'Allocate');
      offClosed();
      stun.close();
      if (owns) await control.close();
      return { redirect: alternate };
    }
    const relayed = readXorRelayedAddresses(m);
    const first = relayed === 'malformed' ? undefined : relayed[0];
    if (first === undefined) throw new TurnClientError('ERR_TURN_PROTOCOL', 'the Allocate answer has no XOR-RELAYED-ADDRESS');
    const granted = readLifetime(m);
    const lifetimeSeconds = typeof granted === 'number' && granted > 0 ? granted : requested;
    offClosed(); // the relayed socket watches the control socket from here on
    const mapped = readXorMappedAddress(m);
    const socket = new RelayedSocket({
      session, stun, control, ownsControl: owns, relayed: first, lifetimeSeconds, requestedLifetime: requested,
      stream: transport !== 'udp', useChannels: options.channels ?? true, clock, logger,
      ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
      ...(mapped === undefined ? {} : { mapped }),
    });
    const features = auth.features;
    return {
      socket, relayed: first, mapped, server, transport, lifetimeSeconds,
      software: readSoftware(m), integritySha256: features.sha256, userhash: features.userhash,
      redirects: [...redirects], allocateRttMs: response.rttMs,
    };
  } catch (e) {
    offClosed();
    stun.close();
    if (owns) await control.close();
    throw e;
  }
}

async function openControl(
  server: Endpoint,
  transport: TurnTransport,
  options: AllocateOptions,
  components: AllocateComponents,
): Promise<{ control: UdpSocket; owns: boolean }> {
  const family: Family = server.address.includes(':') ? 6 : 4;
  if (transport === 'udp') {
    if (components.socket !== undefined) return { control: components.socket, owns: false };
    return { control: await components.network.bindUdp({ family }), owns: true };
  }
  const network = components.network;
  if (!hasStreams(network)) throw new TurnClientError('ERR_TURN_CLOSED', `this network has no ${transport.toUpperCase()} sockets`);
  try {
    const connection = await network.connectTcp({
      remote: server,
      ...(transport === 'tls' ? { tls: options.tls ?? {} } : {}),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { control: new StreamControlSocket(connection), owns: true };
  } catch (e) {
    throw new TurnClientError('ERR_TURN_TIMEOUT', `cannot connect to the TURN server over ${transport.toUpperCase()}: ${(e as Error).message}`, undefined, e);
  }
}
