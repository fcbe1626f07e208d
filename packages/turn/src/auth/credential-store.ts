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

/** Self-issued user names kept for USERHASH lookup (about 200 bytes each). */
export const MAX_ISSUED_NAMES = 100_000;

/** A self-issued REST user name and its expiry (Unix seconds). */
export interface IssuedName {
  readonly username: string;
  readonly expiresAt: number;
}

/** Why a user name has no key. */
export type KeyLookup = { ok: true; keys: Uint8Array[] } | { ok: false; reason: 'unknown-user' | 'expired' };

/**
 * Resolves a user name (or USERHASH) to the candidate long-term keys: one per matching static
 * user and one per REST secret. Static users' keys are derived once per algorithm and kept (at
 * most users x algorithms entries); REST keys are derived on demand; nothing is stored per request.
 */
export class CredentialStore {
  private readonly byHash = new Map<string, string>();
  private readonly staticKeys = new Map<string, Uint8Array>();
  /** USERHASH -> REST user name of credentials this server minted itself, oldest first. */
  private readonly issued = new Map<string, IssuedName>();

  constructor(private readonly options: CredentialOptions) {
    for (const name of options.users?.keys() ?? []) {
      this.byHash.set(Buffer.from(computeUserhash(name, options.realm)).toString('hex'), name);
    }
  }

  get realm(): string {
    return this.options.realm;
  }

  /**
   * The static user whose USERHASH this is, or the user of credentials this server issued itself
   * (see `rememberIssued`); other REST users cannot be found from a hash.
   */
  userForHash(hash: Uint8Array): string | undefined {
    const hex = Buffer.from(hash).toString('hex');
    const found = this.byHash.get(hex);
    if (found !== undefined) return found;
    const issued = this.issued.get(hex);
    return issued === undefined || issued.expiresAt < this.options.wallSeconds() ? undefined : issued.username;
  }

  /**
   * Remembers REST credentials this server minted, so that a client naming itself by USERHASH
   * (RFC 8489 §14.4, as libjuice does when offered) is found. At most MAX_ISSUED_NAMES are kept;
   * expired ones and then the oldest go first.
   */
  rememberIssued(username: string, expiresAt: number): void {
    const now = this.options.wallSeconds();
    for (const [hex, entry] of this.issued) {
      if (entry.expiresAt >= now && this.issued.size < MAX_ISSUED_NAMES) break;
      this.issued.delete(hex);
    }
    const hex = Buffer.from(computeUserhash(username, this.options.realm)).toString('hex');
    this.issued.delete(hex);
    this.issued.set(hex, { username, expiresAt });
  }

  /** The remembered self-issued names that have not expired, oldest first. */
  issuedNames(): IssuedName[] {
    const now = this.options.wallSeconds();
    return [...this.issued.values()].filter((e) => e.expiresAt >= now);
  }

  /** Candidate keys of `username` under `algorithm`. */
  keysFor(username: string, algorithm: number): KeyLookup {
    const keys: Uint8Array[] = [];
    const realm = this.options.realm;
    const password = this.options.users?.get(username);
    if (password !== undefined) keys.push(this.staticKey(algorithm, username, realm, password));
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

  private staticKey(algorithm: number, username: string, realm: string, password: string): Uint8Array {
    const id = `${algorithm}|${username}`;
    let key = this.staticKeys.get(id);
    if (key === undefined) this.staticKeys.set(id, (key = passwordKey(algorithm, username, realm, password)));
    return key;
  }
}

/** Constant-time equality of two byte strings of any length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
