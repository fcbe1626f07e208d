import { getRandomValues } from 'node:crypto';
import { familyOf, isSameEndpoint, silentLogger, systemClock, type Timer, type UdpSocket } from '@natkit/net';
import { software as softwareAttribute } from '@natkit/stun';
import { Authenticator } from '../auth/authenticate.js';
import { CredentialStore } from '../auth/credential-store.js';
import { NONCE_FEATURES, NONCE_FEATURES_NO_ANONYMITY, NonceIssuer } from '../auth/nonce.js';
import { SourceRateLimiter } from '../auth/rate-limit.js';
import { mintRestCredentials, type RestCredentials } from '../auth/rest-credentials.js';
import { MAX_ALLOCATION_LIFETIME_S } from '../allocation/lifetimes.js';
import { PeerFilter } from '../allocation/peer-filter.js';
import type { ClientContext, TurnClientHandler } from './client-transport.js';
import { handleClientData } from './handle-client-data.js';
import { RelayPortRange } from './relay-ports.js';
import { parsePeerRanges, validatePorts } from './server-config.js';
import {
  DEFAULT_NONCE_LIFETIME_S,
  DEFAULT_QUOTAS,
  DEFAULT_REALM,
  DEFAULT_RELAY_PORTS,
  DEFAULT_UNAUTHENTICATED_REPLIES,
  RATE_LIMIT_SOURCES,
  type TurnServerComponents,
  type TurnServerOptions,
} from './server-options.js';
import type { TurnServerStats } from './server-stats.js';
import { TurnCore } from './turn-core.js';

/** How clients may authenticate. */
export type TurnAuthMode = 'static-users' | 'rest-secret' | 'self-issued';

/**
 * A TURN server (RFC 8656) core. It owns no listening socket: UDP sockets are attached (and
 * detached) at run time and may be shared with other protocol handlers (the STUN server gets
 * the Binding requests); TCP/TLS listeners call `handleClientData` / `connectionClosed`.
 */
export interface TurnServer extends TurnClientHandler {
  /**
   * Serves TURN on a UDP socket (RFC 7983 demux: STUN methods other than Binding, and
   * ChannelData). Returns a function that detaches it and deletes the allocations made over it.
   */
  attachUdpSocket(socket: UdpSocket): () => void;
  /** Ephemeral REST credentials from the first secret (or the one generated at start). */
  mintCredentials(user: string, ttlSeconds?: number): RestCredentials;
  readonly realm: string;
  readonly authModes: readonly TurnAuthMode[];
  readonly relayPorts: { readonly low: number; readonly high: number };
  stats(): TurnServerStats;
  /** Deletes every allocation, closes relay sockets, detaches; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Period of the sweep of expired allocations, permissions, channels and reservations. */
const SWEEP_MS = 1000;

/** Creates a TURN server core. Throws TurnError `ERR_TURN_CONFIG` for options it cannot serve. */
export function createTurnServer(options: TurnServerOptions, components: TurnServerComponents): TurnServer {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('turn:server');
  const random = components.random ?? ((n: number) => getRandomValues(new Uint8Array(n)));
  const wallSeconds = components.wallSeconds ?? (() => Date.now() / 1000);
  const realm = options.realm ?? DEFAULT_REALM;
  const ports = options.relayPorts ?? DEFAULT_RELAY_PORTS;
  validatePorts(ports);
  const users = options.users ?? new Map<string, string>();
  const configuredSecrets = options.authSecrets ?? [];
  const selfIssued = users.size === 0 && configuredSecrets.length === 0;
  const secrets = selfIssued ? [Buffer.from(random(32)).toString('base64url')] : [...configuredSecrets];
  const store = new CredentialStore({ realm, users, secrets, wallSeconds });
  // USERHASH (username anonymity) only names static users: not offered when REST secrets are in use.
  const features = secrets.length > 0 ? NONCE_FEATURES_NO_ANONYMITY : NONCE_FEATURES;
  const nonces = new NonceIssuer(random(32), (options.nonceLifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_S) * 1000, features);
  const rate = options.unauthenticatedReplies ?? DEFAULT_UNAUTHENTICATED_REPLIES;
  const q = { ...DEFAULT_QUOTAS, ...options.quotas };
  const { allow, deny, relayAddress, advertised } = parsePeerRanges(options);
  const own = [...relayAddress.values(), ...advertised.values()];
  const core = new TurnCore(
    components.network,
    clock,
    logger,
    random,
    new Authenticator(store, nonces),
    new SourceRateLimiter(rate.burst, rate.perSecond, RATE_LIMIT_SOURCES),
    new PeerFilter({ allow, deny, ownAddresses: own }),
    new RelayPortRange(components.network, ports.low, ports.high, random),
    {
      maxLifetimeS: Math.min(options.maxLifetimeSeconds ?? MAX_ALLOCATION_LIFETIME_S, MAX_ALLOCATION_LIFETIME_S),
      bandwidth: q.bandwidthBytesPerSecond,
      relayAddress,
      advertised,
      legacyChannelNumbers: options.rfc5766ChannelNumbers === true,
      software: options.software === undefined ? undefined : softwareAttribute(options.software),
    },
    {
      maxAllocationsPerUser: q.allocationsPerUser,
      maxAllocations: q.allocations,
      maxPermissions: q.permissionsPerAllocation,
      maxChannels: q.channelsPerAllocation,
    },
  );
  const attached = new Map<UdpSocket, () => void>();
  let timer: Timer | undefined;
  const sweep = (): void => {
    core.sweep(clock.now());
    timer = core.closed ? undefined : clock.setTimeout(sweep, SWEEP_MS);
  };
  timer = clock.setTimeout(sweep, SWEEP_MS);
  const authModes: TurnAuthMode[] = selfIssued ? ['self-issued'] : [];
  if (users.size > 0) authModes.push('static-users');
  if (configuredSecrets.length > 0) authModes.push('rest-secret');

  const detach = (socket: UdpSocket): void => {
    const off = attached.get(socket);
    if (off === undefined) return;
    attached.delete(socket);
    off();
    for (const a of [...core.table.values()]) {
      if (a.fiveTuple.transport === 'udp' && isSameEndpoint(a.fiveTuple.local, socket.local)) core.deleteAllocation(a.key, 'socket detached');
    }
  };

  const attach = (socket: UdpSocket): (() => void) => {
    if (attached.has(socket)) return () => detach(socket);
    const local = socket.local;
    const offMessage = socket.onMessage((data, from) => {
      const b = data[0];
      // RFC 7983 §7: 0-3 STUN, 64-79 ChannelData; 80-127 (unassigned there) carry RFC 5766 channels.
      if (b === undefined || (b > 3 && (b < 64 || b > 127))) return;
      const ctx: ClientContext = { transport: 'udp', client: from, local, reply: (bytes) => socket.send(bytes, from) };
      handleClientData(core, data, ctx);
    });
    attached.set(socket, offMessage);
    if (familyOf(local.address) !== undefined && local.address !== '0.0.0.0' && local.address !== '::') {
      core.filter = core.filter.withOwnAddresses([local.address]);
    }
    return () => detach(socket);
  };

  const snapshot = (): TurnServerStats =>
    core.counters.snapshot({
      allocations: core.table.size,
      pendingAllocations: core.table.pendingCount,
      reservations: core.reservations.size,
      limitedSources: core.limiter.size,
      cachedResponses: core.responses.size,
    });

  const close = async (): Promise<void> => {
    if (core.closed) return;
    core.closed = true;
    timer?.cancel();
    for (const s of [...attached.keys()]) detach(s);
    for (const a of [...core.table.values()]) core.deleteAllocation(a.key, 'server closed');
    await Promise.all(core.reservations.drain().map((s) => core.ports.close(s).catch(() => undefined)));
    logger.info('closed', { ...snapshot() });
  };

  logger.info('TURN relay ready', { realm, authModes, relayPorts: `${ports.low}-${ports.high}` });
  return {
    realm,
    authModes,
    relayPorts: { low: ports.low, high: ports.high },
    attachUdpSocket: attach,
    handleClientData: (bytes, ctx) => !core.closed && handleClientData(core, bytes, ctx),
    connectionClosed: (ctx) => {
      for (const a of [...core.table.values()]) {
        const t = a.fiveTuple;
        if (t.transport === ctx.transport && t.connectionId === ctx.connectionId && isSameEndpoint(t.client, ctx.client)) {
          core.deleteAllocation(a.key, 'control connection closed');
        }
      }
    },
    mintCredentials: (user, ttlSeconds = 86_400) => mintRestCredentials(secrets[0] ?? '', user, ttlSeconds, Math.floor(wallSeconds())),
    stats: snapshot,
    close,
    [Symbol.asyncDispose]: close,
  };
}

