import { getRandomValues } from 'node:crypto';
import { silentLogger, systemClock } from '@natkit/net';
import { software as softwareAttribute } from '@natkit/stun';
import { Authenticator } from '../auth/authenticate.js';
import { CredentialStore, type IssuedName } from '../auth/credential-store.js';
import { mintRestCredentials, type RestCredentials } from '../auth/rest-credentials.js';
import { TurnError } from '../errors.js';
import { NONCE_FEATURES, NONCE_FEATURES_NO_ANONYMITY, NonceIssuer } from '../auth/nonce.js';
import { SourceRateLimiter } from '../auth/rate-limit.js';
import { MAX_ALLOCATION_LIFETIME_S } from '../allocation/lifetimes.js';
import { PeerFilter } from '../allocation/peer-filter.js';
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
import { TurnCore } from './turn-core.js';

/** How clients may authenticate. */
export type TurnAuthMode = 'static-users' | 'rest-secret' | 'self-issued';

export interface BuiltCore {
  readonly core: TurnCore;
  readonly realm: string;
  readonly ports: { readonly low: number; readonly high: number };
  readonly authModes: readonly TurnAuthMode[];
  /** Mints REST credentials from the first secret in use (remembered for USERHASH where offered). */
  readonly mintCredentials: (user: string, ttlSeconds: number) => RestCredentials;
  /** USERHASH (username anonymity) is offered: every user name that authenticates can be found from its hash. */
  readonly offersUserhash: boolean;
  /** The self-issued names remembered for USERHASH (none where it is not offered). */
  readonly issued: IssuedNames;
}

/** Self-issued user names known for USERHASH lookup: minted here or handed over by another process. */
export interface IssuedNames {
  remember(names: readonly IssuedName[]): void;
  /** Those not yet expired. */
  list(): IssuedName[];
}

/**
 * Auth from the options. The server always holds a secret for the credentials it issues itself
 * (`mintCredentials`, which the rendezvous hands its peers): the first configured REST secret,
 * else one generated at start (or `selfIssuedSecret`), also when static users are configured.
 */
function buildAuth(options: TurnServerOptions, random: (n: number) => Uint8Array, wallSeconds: () => number): { auth: Authenticator; store: CredentialStore; secrets: string[]; authModes: TurnAuthMode[]; remembersIssued: boolean } {
  const realm = options.realm ?? DEFAULT_REALM;
  const users = options.users ?? new Map<string, string>();
  const configured = options.authSecrets ?? [];
  const selfIssued = configured.length === 0;
  const secrets = selfIssued ? [options.selfIssuedSecret ?? Buffer.from(random(32)).toString('base64url')] : [...configured];
  const store = new CredentialStore({ realm, users, secrets, wallSeconds });
  // USERHASH (username anonymity) finds static users, and self-issued users by the names this
  // process minted (or was handed: issuedNamesShared); not offered with configured REST secrets
  // (others mint those names) nor with a secret shared with processes that do not hand theirs over.
  const remembersIssued = users.size > 0 && selfIssued && (options.selfIssuedSecret === undefined || options.issuedNamesShared === true);
  const features = remembersIssued ? NONCE_FEATURES : NONCE_FEATURES_NO_ANONYMITY;
  const nonces = new NonceIssuer(random(32), (options.nonceLifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_S) * 1000, features);
  const authModes: TurnAuthMode[] = [];
  if (users.size > 0) authModes.push('static-users');
  if (configured.length > 0) authModes.push('rest-secret');
  if (selfIssued) authModes.push('self-issued');
  return { auth: new Authenticator(store, nonces), store, secrets, authModes, remembersIssued };
}

/** Bytes the default random source draws from the OS at a time. */
const RANDOM_POOL_BYTES = 4096;

/**
 * The default random source: the OS's CSPRNG, drawn a pool at a time (one call per Allocate
 * cost about 4 us, as much as the rest of its port choice); bytes handed out are wiped from the pool.
 */
function pooledRandom(): (n: number) => Uint8Array {
  const pool = new Uint8Array(RANDOM_POOL_BYTES);
  let at = pool.length;
  return (n) => {
    if (n > pool.length) return getRandomValues(new Uint8Array(n));
    if (at + n > pool.length) {
      getRandomValues(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}

/** Resolves the options into the server's state. Throws TurnError `ERR_TURN_CONFIG`. */
export function buildCore(options: TurnServerOptions, components: TurnServerComponents): BuiltCore {
  const random = components.random ?? pooledRandom();
  const wallSeconds = components.wallSeconds ?? (() => Date.now() / 1000);
  const ports = options.relayPorts ?? DEFAULT_RELAY_PORTS;
  validatePorts(ports);
  const { auth, store, secrets, authModes, remembersIssued } = buildAuth(options, random, wallSeconds);
  const mintCredentials = (user: string, ttlSeconds: number): RestCredentials => {
    const secret = secrets[0];
    if (secret === undefined || secret.length === 0) throw new TurnError('ERR_TURN_CONFIG', 'no secret to mint relay credentials from');
    const c = mintRestCredentials(secret, user, ttlSeconds, Math.floor(wallSeconds()));
    if (remembersIssued) store.rememberIssued(c.username, c.expiresAt);
    return c;
  };
  const rate = options.unauthenticatedReplies ?? DEFAULT_UNAUTHENTICATED_REPLIES;
  const q = { ...DEFAULT_QUOTAS, ...options.quotas };
  const { allow, deny, relayAddress, advertised } = parsePeerRanges(options);
  // Never a relay socket on a listening port (e.g. UDP 5349 beside TLS): the filter refuses those as peers.
  const relayPorts = new RelayPortRange(components.network, ports.low, ports.high, random, (port): boolean => core.filter.listensOn(port));
  // Relay to relay: another allocation's relayed transport address (as bound, or as announced).
  const announced = new Set(advertised.values());
  const sibling = options.siblingRelayPorts;
  const isSiblingPort = (port: number): boolean => sibling !== undefined && port >= sibling.low && port <= sibling.high && (port < ports.low || port > ports.high);
  const isOwnRelayedAddress = (address: string, port: number): boolean =>
    relayPorts.holds(address, port) || (announced.has(address) && relayPorts.holdsPort(port)) || isSiblingPort(port);
  const core: TurnCore = new TurnCore(
    components.network,
    components.clock ?? systemClock,
    (components.logger ?? silentLogger).child('turn:server'),
    random,
    auth,
    new SourceRateLimiter(rate.burst, rate.perSecond, RATE_LIMIT_SOURCES),
    new PeerFilter({ allow, deny, ownAddresses: [...relayAddress.values(), ...advertised.values()], isOwnRelayedAddress }),
    relayPorts,
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
  const issued: IssuedNames = {
    remember: (names) => {
      if (remembersIssued) for (const n of names) store.rememberIssued(n.username, n.expiresAt);
    },
    list: () => store.issuedNames(),
  };
  return { core, realm: options.realm ?? DEFAULT_REALM, ports: { low: ports.low, high: ports.high }, authModes, mintCredentials, offersUserhash: remembersIssued, issued };
}
