import {
  AttributeType,
  getAttribute,
  nonce as nonceAttribute,
  readNonce,
  readRealm,
  readUsername,
  realm as realmAttribute,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  type AttributeSpec,
  type StunMessage,
} from '@natkit/stun';
import {
  passwordAlgorithms,
  PasswordAlgorithm,
  readPasswordAlgorithm,
  readPasswordAlgorithms,
  sameAlgorithms,
  type AlgorithmEntry,
} from '../proto/password-algorithms.js';
import { readUserhash } from '../proto/userhash.js';
import type { CredentialStore } from './credential-store.js';
import type { NonceIssuer } from './nonce.js';
import { OFFERED_ALGORITHMS } from './password-key.js';

/** A request whose MESSAGE-INTEGRITY checked out. */
export interface Authenticated {
  readonly kind: 'ok';
  readonly username: string;
  /** The long-term key: signs the response. */
  readonly key: Uint8Array;
  /** The request used MESSAGE-INTEGRITY-SHA256: so must the response (RFC 8489 §9.2.4). */
  readonly sha256: boolean;
  /** The user was named by USERHASH (RFC 8489 §14.4) rather than USERNAME. */
  readonly userhash: boolean;
}

/** A request refused: 400, 401 (with a challenge) or 438 (with a fresh nonce). */
export interface Refused {
  readonly kind: 'refuse';
  readonly code: 400 | 401 | 438;
  readonly reason: string;
  /** REALM, NONCE and PASSWORD-ALGORITHMS for 401 and 438; nothing for 400. */
  readonly attributes: readonly AttributeSpec[];
  /** Why, for counters and trace logs (never a secret). */
  readonly why: string;
}

export type AuthOutcome = Authenticated | Refused;

const OFFERED: readonly AlgorithmEntry[] = OFFERED_ALGORITHMS.map((algorithm) => ({ algorithm, parameters: new Uint8Array(0) }));

/**
 * The server side of the long-term credential mechanism with the RFC 8489 extensions
 * (PASSWORD-ALGORITHMS bid-down protection, USERHASH, MESSAGE-INTEGRITY-SHA256). RFC 8489 §9.2.4.
 * Stateless: nothing is stored for a request, verified or not. `scope` binds nonces to the
 * client (its IP and transport).
 */
export class Authenticator {
  constructor(
    private readonly store: CredentialStore,
    private readonly nonces: NonceIssuer,
  ) {}

  /** The 401 challenge's attributes for `scope` at `now`. */
  challenge(scope: string, now: number): AttributeSpec[] {
    return [realmAttribute(this.store.realm), nonceAttribute(this.nonces.issue(scope, now)), passwordAlgorithms(OFFERED)];
  }

  authenticate(m: StunMessage, scope: string, now: number): AuthOutcome {
    const hasSha1 = getAttribute(m, AttributeType.MessageIntegrity) !== undefined;
    const hasSha256 = getAttribute(m, AttributeType.MessageIntegritySha256) !== undefined;
    if (!hasSha1 && !hasSha256) return this.refuse(401, 'no MESSAGE-INTEGRITY', scope, now);
    const username = readUsername(m);
    const hash = readUserhash(m);
    const realm = readRealm(m);
    const nonce = readNonce(m);
    if ((username === undefined && hash === undefined) || realm === undefined || nonce === undefined || hash === 'malformed') {
      return badRequest('integrity without USERNAME/USERHASH, REALM or NONCE');
    }
    const algorithm = chooseAlgorithm(m);
    if (typeof algorithm === 'string') return badRequest(algorithm);
    const verdict = this.nonces.verify(nonce, scope, now);
    if (verdict !== 'valid') return this.refuse(438, `nonce ${verdict}`, scope, now);
    if (realm !== this.store.realm) return this.refuse(401, 'wrong realm', scope, now);
    const name = username ?? (hash === undefined ? undefined : this.store.userForHash(hash));
    if (name === undefined) return this.refuse(401, 'unknown USERHASH', scope, now);
    const lookup = this.store.keysFor(name, algorithm);
    if (!lookup.ok) return this.refuse(401, lookup.reason, scope, now);
    for (const key of lookup.keys) {
      const good = hasSha256 ? verifyMessageIntegritySha256(m, key) : verifyMessageIntegrity(m, key);
      if (good === true) return { kind: 'ok', username: name, key, sha256: hasSha256, userhash: username === undefined };
    }
    return this.refuse(401, 'bad integrity', scope, now);
  }

  private refuse(code: 401 | 438, why: string, scope: string, now: number): Refused {
    return { kind: 'refuse', code, reason: code === 401 ? 'Unauthorized' : 'Stale Nonce', attributes: this.challenge(scope, now), why };
  }
}

/**
 * RFC 8489 §9.2.4 bid-down protection: both PASSWORD-ALGORITHMS (echoing ours exactly) and
 * PASSWORD-ALGORITHM (one of them), or neither (then MD5). Returns the reason of a 400 otherwise.
 */
function chooseAlgorithm(m: StunMessage): number | string {
  const list = readPasswordAlgorithms(m);
  const chosen = readPasswordAlgorithm(m);
  if (list === undefined && chosen === undefined) return PasswordAlgorithm.Md5;
  if (list === undefined || chosen === undefined) return 'only one of PASSWORD-ALGORITHMS and PASSWORD-ALGORITHM';
  if (list === 'malformed' || chosen === 'malformed') return 'malformed PASSWORD-ALGORITHM(S)';
  if (!sameAlgorithms(list, OFFERED)) return 'PASSWORD-ALGORITHMS differs from the offer';
  if (!OFFERED.some((e) => e.algorithm === chosen.algorithm) || chosen.parameters.length !== 0) return 'unsupported PASSWORD-ALGORITHM';
  return chosen.algorithm;
}

function badRequest(why: string): Refused {
  return { kind: 'refuse', code: 400, reason: 'Bad Request', attributes: [], why };
}
