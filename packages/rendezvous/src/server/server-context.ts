import type { Clock, Logger } from '@natkit/net';
import type { RelayCredentials } from '../protocol/messages/registered.js';
import type { PresenceStore } from './presence-store.js';
import type { ResolvedOptions } from './server-options.js';
import type { ServerCounters } from './server-stats.js';
import type { Session } from './session.js';
import type { KeyedRateLimiter } from './token-bucket.js';

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
  readonly limiters: {
    readonly registrationsPerIp: KeyedRateLimiter;
    readonly registrationsPerPeer: KeyedRateLimiter;
    readonly connectsPerIp: KeyedRateLimiter;
    readonly connectsPerPeer: KeyedRateLimiter;
  };
}
