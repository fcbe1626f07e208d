import { createHash } from 'node:crypto';
import {
  longTermKey,
  nonce,
  readErrorCode,
  readNonce,
  readRealm,
  realm,
  username,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  type AttributeSpec,
  type EncodeOptions,
  type StunMessage,
} from '@natkit/stun';
import { PasswordAlgorithm, passwordAlgorithm, passwordAlgorithms, readPasswordAlgorithms, type AlgorithmEntry } from '../proto/password-algorithms.js';
import { computeUserhash, userhash } from '../proto/userhash.js';
import { readNonceFeatures } from './nonce-features.js';

/** A TURN user name and password (long-term credentials, static or TURN REST API). */
export interface LongTermCredentials {
  readonly username: string;
  readonly password: string;
}

/** What to do with an error response to an authenticated-or-not request. */
export type ChallengeOutcome =
  | { readonly kind: 'retry' }
  | { readonly kind: 'fail'; readonly reason: ChallengeFailure };

/**
 * `wrong-credentials`: a 401 to a request that carried them. `bad-challenge`: a 401 without
 * REALM or NONCE. `stale-nonce-loop`: 438 after 438. `bid-down`: the nonce announces
 * PASSWORD-ALGORITHMS but the attribute is missing or malformed (RFC 8489 §9.2.5).
 */
export type ChallengeFailure = 'wrong-credentials' | 'bad-challenge' | 'stale-nonce-loop' | 'bid-down';

/** Consecutive 438 answers tolerated before giving up. */
const MAX_STALE_NONCE_RETRIES = 3;

/**
 * The client side of the long-term credential mechanism (RFC 8489 §9.2) as a pure state machine:
 * it learns REALM and NONCE from 401/438 answers, picks the password algorithm (SHA-256 when the
 * server offers it through the `obMatJos2` nonce cookie and PASSWORD-ALGORITHMS, RFC 8489 §9.2.4),
 * sends USERHASH when the server asks for anonymity, and says which key signs each request.
 */
export class ClientAuthState {
  readonly #credentials: LongTermCredentials;
  #realm: string | undefined;
  #nonce: string | undefined;
  #offered: AlgorithmEntry[] | undefined;
  #algorithm: number = PasswordAlgorithm.Md5;
  #anonymous = false;
  #key: Uint8Array | undefined;
  #staleNonces = 0;

  constructor(credentials: LongTermCredentials) {
    this.#credentials = credentials;
  }

  /** True once a challenge was accepted: requests now carry credentials. */
  get ready(): boolean {
    return this.#key !== undefined;
  }

  get realm(): string | undefined {
    return this.#realm;
  }

  /** What the server offered: SHA-256 password algorithm and MESSAGE-INTEGRITY-SHA256, USERHASH. */
  get features(): { readonly sha256: boolean; readonly userhash: boolean } {
    return { sha256: this.#algorithm === PasswordAlgorithm.Sha256, userhash: this.#anonymous };
  }

  /** Forgets the server's realm and nonce (after a redirect to an alternate server). */
  reset(): void {
    this.#realm = undefined;
    this.#nonce = undefined;
    this.#offered = undefined;
    this.#algorithm = PasswordAlgorithm.Md5;
    this.#anonymous = false;
    this.#key = undefined;
    this.#staleNonces = 0;
  }

  /** A success answer arrived: the nonce is good. */
  succeeded(): void {
    this.#staleNonces = 0;
  }

  /**
   * Handles a 401 or 438 answer (`sentCredentials`: whether the request carried them). Other
   * codes are not authentication problems: the caller deals with them.
   */
  onChallenge(response: StunMessage, sentCredentials: boolean): ChallengeOutcome {
    const code = readErrorCode(response)?.code;
    if (code === 438) {
      if (++this.#staleNonces > MAX_STALE_NONCE_RETRIES) return { kind: 'fail', reason: 'stale-nonce-loop' };
      return this.#learn(response);
    }
    if (code !== 401) return { kind: 'fail', reason: 'bad-challenge' };
    // RFC 8489 §9.2.5: a 401 to a request with credentials means they were refused.
    if (sentCredentials) return { kind: 'fail', reason: 'wrong-credentials' };
    return this.#learn(response);
  }

  #learn(response: StunMessage): ChallengeOutcome {
    const r = readRealm(response) ?? this.#realm;
    const n = readNonce(response);
    if (r === undefined || n === undefined || n.length === 0) return { kind: 'fail', reason: 'bad-challenge' };
    const features = readNonceFeatures(n);
    let algorithm: number = PasswordAlgorithm.Md5;
    let offered: AlgorithmEntry[] | undefined;
    if (features.passwordAlgorithms) {
      const list = readPasswordAlgorithms(response);
      if (list === undefined || list === 'malformed' || list.length === 0) return { kind: 'fail', reason: 'bid-down' };
      offered = list;
      if (list.some((e) => e.algorithm === PasswordAlgorithm.Sha256)) algorithm = PasswordAlgorithm.Sha256;
      else if (!list.some((e) => e.algorithm === PasswordAlgorithm.Md5)) return { kind: 'fail', reason: 'bid-down' };
    }
    this.#realm = r;
    this.#nonce = n;
    this.#offered = offered;
    this.#algorithm = algorithm;
    this.#anonymous = features.userAnonymity;
    this.#key = algorithm === PasswordAlgorithm.Sha256
      ? sha256Key(this.#credentials, r)
      : longTermKey(this.#credentials.username, r, this.#credentials.password);
    return { kind: 'retry' };
  }

  /** The credential attributes of a request (none before the first challenge). RFC 8489 §9.2.4 */
  requestAttributes(): AttributeSpec[] {
    if (this.#key === undefined || this.#realm === undefined || this.#nonce === undefined) return [];
    const attributes: AttributeSpec[] = [
      this.#anonymous ? userhash(computeUserhash(this.#credentials.username, this.#realm)) : username(this.#credentials.username),
      realm(this.#realm),
      nonce(this.#nonce),
    ];
    if (this.#offered !== undefined) {
      attributes.push(passwordAlgorithms(this.#offered));
      attributes.push(passwordAlgorithm({ algorithm: this.#algorithm, parameters: new Uint8Array(0) }));
    }
    return attributes;
  }

  /**
   * How to sign: MESSAGE-INTEGRITY-SHA256 when the server negotiated password algorithms
   * (RFC 8489 §9.2.4), MESSAGE-INTEGRITY otherwise (what RFC 5389 servers such as coturn know).
   */
  encodeOptions(): EncodeOptions {
    if (this.#key === undefined) return {};
    return this.#offered !== undefined ? { integritySha256Key: this.#key } : { integrityKey: this.#key };
  }

  /**
   * Checks the integrity of an answer: true or false when it carries MESSAGE-INTEGRITY(-SHA256),
   * undefined when it carries neither (error answers before authentication).
   */
  verify(m: StunMessage): boolean | undefined {
    if (this.#key === undefined) return undefined;
    return verifyMessageIntegritySha256(m, this.#key) ?? verifyMessageIntegrity(m, this.#key);
  }
}

/** SHA-256(username ":" realm ":" password), the key of the SHA-256 password algorithm. RFC 8489 §18.5.1.2 */
function sha256Key(c: LongTermCredentials, r: string): Uint8Array {
  return createHash('sha256').update(`${c.username}:${r}:${c.password}`, 'utf8').digest();
}
