import { timingSafeEqual } from 'node:crypto';
import { computeUserhash } from '../proto/userhash.js';
import { passwordKey } from './password-key.js';
import { restExpiry, restPassword } from './rest-credentials.js';

export interface CredentialOptions {
  readonly realm: string;
  /** Static long-term users: name -> password. */
  readonly users?: ReadonlyMap<string, string>;
  /** TURN REST shared secrets; all are accepted (rotation). */
  readonly secrets?: readonly string[];
  /** Wall-clock time in Unix seconds, for REST expiry (injected for tests). */
  readonly wallSeconds: () => number;
}

/** Why a user name has no key. */
export type KeyLookup = { ok: true; keys: Uint8Array[] } | { ok: false; reason: 'unknown-user' | 'expired' };

/**
 * Resolves a user name (or USERHASH) to the candidate long-term keys: one per matching static
 * user and one per REST secret. Keys are derived on demand; nothing is stored per request.
 */
export class CredentialStore {
  private readonly byHash = new Map<string, string>();

  constructor(private readonly options: CredentialOptions) {
    for (const name of options.users?.keys() ?? []) {
      this.byHash.set(Buffer.from(computeUserhash(name, options.realm)).toString('hex'), name);
    }
  }

  get realm(): string {
    return this.options.realm;
  }

  /** The static user whose USERHASH this is (REST users cannot be found by hash). */
  userForHash(hash: Uint8Array): string | undefined {
    return this.byHash.get(Buffer.from(hash).toString('hex'));
  }

  /** Candidate keys of `username` under `algorithm`. */
  keysFor(username: string, algorithm: number): KeyLookup {
    const keys: Uint8Array[] = [];
    const realm = this.options.realm;
    const password = this.options.users?.get(username);
    if (password !== undefined) keys.push(passwordKey(algorithm, username, realm, password));
    const secrets = this.options.secrets ?? [];
    if (secrets.length > 0) {
      const expiry = restExpiry(username);
      if (expiry !== undefined) {
        if (expiry < this.options.wallSeconds()) return keys.length > 0 ? { ok: true, keys } : { ok: false, reason: 'expired' };
        for (const s of secrets) keys.push(passwordKey(algorithm, username, realm, restPassword(s, username)));
      }
    }
    return keys.length > 0 ? { ok: true, keys } : { ok: false, reason: 'unknown-user' };
  }
}

/** Constant-time equality of two byte strings of any length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
