import { silentLogger, systemClock, type Clock, type Logger } from '@natkit/net';
import type { RelayCredentials } from '../protocol/messages/registered.js';
import { verifyRegistrationWithIdentity } from './identity-verifier.js';
import { MemoryPresenceStore } from './memory-presence-store.js';
import type { PresenceStore } from './presence-store.js';
import { resolveOptions, type RendezvousServerOptions, type ResolvedOptions } from './server-options.js';
import { ServerCounters } from './server-stats.js';
import { RandomTokens } from './random-tokens.js';
import type { Session } from './session.js';
import { AddressTokens } from './address-tokens.js';
import type { Family } from '@natkit/net';
import { KeyedRateLimiter } from './token-bucket.js';

/** What checking a registration signature found. */
export type VerifyResult = 'ok' | 'invalid-peer-id' | 'bad-signature';

/**
 * Checks that `signature` is the signature of the key `peerId` names over `payload`, in the
 * REGISTER_CONTEXT domain. The default is @natkit/identity's.
 */
export type VerifyRegistration = (peerId: string, payload: Uint8Array, signature: Uint8Array) => VerifyResult;

/** Mints short-lived credentials for the server's relay (injected: the relay is another package). */
export type MintRelayCredentials = (peerId: string) => RelayCredentials | Promise<RelayCredentials>;

/** The shared state that the message handlers work on. */
export interface ServerContext {
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: PresenceStore;
  readonly verify: VerifyRegistration;
  readonly mintRelayCredentials: MintRelayCredentials | null;
  readonly counters: ServerCounters;
  /** Sessions of this process by session id. */
  readonly sessions: Map<string, Session>;
  readonly random: RandomTokens;
  /** Encoded PeerInfo by the Registration or PeerRecord it was made from (both immutable); v1 sessions get theirs without `verified`. */
  readonly encodedPeers: WeakMap<object, string>;
  readonly encodedPeersV1: WeakMap<object, string>;
  /** Address tokens issued and not yet seen (verify-address). */
  readonly addressTokens: AddressTokens;
  /** UDP sockets attached for address verification, per family (attachUdpSocket). */
  readonly udpFamilies: Map<Family, number>;
  readonly limiters: {
    readonly registrationsPerIp: KeyedRateLimiter;
    readonly registrationsPerPeer: KeyedRateLimiter;
    readonly connectsPerIp: KeyedRateLimiter;
    readonly connectsPerPeer: KeyedRateLimiter;
    readonly verificationsPerPeer: KeyedRateLimiter;
  };
}

export interface RendezvousServerComponents {
  /** Checks registration signatures; default @natkit/identity's verify in the REGISTER_CONTEXT domain. */
  readonly verify?: VerifyRegistration;
  /** Relay credentials for `registered`; without it, `relay` is null. */
  readonly mintRelayCredentials?: MintRelayCredentials;
  /** Shared state; default a MemoryPresenceStore owned (and closed) by the server. */
  readonly store?: PresenceStore;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The state of one server process, with the defaults filled in. */
export function createServerContext(options: RendezvousServerOptions, components: RendezvousServerComponents): ServerContext {
  const resolved = resolveOptions(options);
  const { limits } = resolved;
  return {
    options: resolved,
    clock: components.clock ?? systemClock,
    logger: (components.logger ?? silentLogger).child('rendezvous:server'),
    store: components.store ?? new MemoryPresenceStore(),
    verify: components.verify ?? verifyRegistrationWithIdentity,
    mintRelayCredentials: components.mintRelayCredentials ?? null,
    counters: new ServerCounters(),
    sessions: new Map(),
    random: new RandomTokens(),
    encodedPeers: new WeakMap(),
    encodedPeersV1: new WeakMap(),
    addressTokens: new AddressTokens(resolved.addressTokenTtlMs, limits.maxAddressTokens),
    udpFamilies: new Map(),
    limiters: {
      registrationsPerIp: new KeyedRateLimiter(limits.registrationsPerIp, limits.maxLimiterKeys),
      registrationsPerPeer: new KeyedRateLimiter(limits.registrationsPerPeer, limits.maxLimiterKeys),
      connectsPerIp: new KeyedRateLimiter(limits.connectsPerIp, limits.maxLimiterKeys),
      connectsPerPeer: new KeyedRateLimiter(limits.connectsPerPeer, limits.maxLimiterKeys),
      verificationsPerPeer: new KeyedRateLimiter(limits.verificationsPerPeer, limits.maxLimiterKeys),
    },
  };
}
