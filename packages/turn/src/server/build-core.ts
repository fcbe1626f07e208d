import { getRandomValues } from 'node:crypto';
import { silentLogger, systemClock } from '@natkit/net';
import { software as softwareAttribute } from '@natkit/stun';
import { Authenticator } from '../auth/authenticate.js';
import { CredentialStore } from '../auth/credential-store.js';
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
  /** The REST secrets in use: the configured ones, or the one generated at start. */
  readonly secrets: readonly string[];
  readonly wallSeconds: () => number;
}

/** Auth from the options: a generated secret when neither users nor secrets are given. */
function buildAuth(options: TurnServerOptions, random: (n: number) => Uint8Array, wallSeconds: () => number): { auth: Authenticator; secrets: string[]; authModes: TurnAuthMode[] } {
  const realm = options.realm ?? DEFAULT_REALM;
  const users = options.users ?? new Map<string, string>();
  const configured = options.authSecrets ?? [];
  const selfIssued = users.size === 0 && configured.length === 0;
  const secrets = selfIssued ? [options.selfIssuedSecret ?? Buffer.from(random(32)).toString('base64url')] : [...configured];
  const store = new CredentialStore({ realm, users, secrets, wallSeconds });
  // USERHASH (username anonymity) only names static users: not offered when REST secrets are in use.
  const features = secrets.length > 0 ? NONCE_FEATURES_NO_ANONYMITY : NONCE_FEATURES;
  const nonces = new NonceIssuer(random(32), (options.nonceLifetimeSeconds ?? DEFAULT_NONCE_LIFETIME_S) * 1000, features);
  const authModes: TurnAuthMode[] = selfIssued ? ['self-issued'] : [];
  if (users.size > 0) authModes.push('static-users');
  if (configured.length > 0) authModes.push('rest-secret');
  return { auth: new Authenticator(store, nonces), secrets, authModes };
}

/** Resolves the options into the server's state. Throws TurnError `ERR_TURN_CONFIG`. */
export function buildCore(options: TurnServerOptions, components: TurnServerComponents): BuiltCore {
  const random = components.random ?? ((n: number) => getRandomValues(new Uint8Array(n)));
  const wallSeconds = components.wallSeconds ?? (() => Date.now() / 1000);
  const ports = options.relayPorts ?? DEFAULT_RELAY_PORTS;
  validatePorts(ports);
  const { auth, secrets, authModes } = buildAuth(options, random, wallSeconds);
  const rate = options.unauthenticatedReplies ?? DEFAULT_UNAUTHENTICATED_REPLIES;
  const q = { ...DEFAULT_QUOTAS, ...options.quotas };
  const { allow, deny, relayAddress, advertised } = parsePeerRanges(options);
  const core = new TurnCore(
    components.network,
    components.clock ?? systemClock,
    (components.logger ?? silentLogger).child('turn:server'),
    random,
    auth,
    new SourceRateLimiter(rate.burst, rate.perSecond, RATE_LIMIT_SOURCES),
    new PeerFilter({ allow, deny, ownAddresses: [...relayAddress.values(), ...advertised.values()] }),
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
  return { core, realm: options.realm ?? DEFAULT_REALM, ports: { low: ports.low, high: ports.high }, authModes, secrets, wallSeconds };
}
