import { timingSafeEqual } from 'node:crypto';
import type { Family } from '@natkit/net';

/** What checking a presented token found. */
export type TokenCheck =
  | { readonly ok: true; readonly sessionId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'wrong-family' | 'wrong-peer' };

interface Issued {
  readonly sessionId: string;
  readonly peerId: string;
  readonly family: Family;
  readonly expiresAt: number;
  readonly bytes: Buffer;
}

/**
 * The address tokens the server issued and not yet seen (pure state, `now` as argument): at most
 * one live token per session (a new one replaces it), at most `maxTokens` in all (the oldest goes
 * first), each single-use and valid for `ttlMs`. A token binds an address only when it comes back
 * from the family it was issued for, naming the peer it was issued to.
 */
export class AddressTokens {
  readonly #byToken = new Map<string, Issued>();
  readonly #bySession = new Map<string, string>();

  constructor(
    readonly ttlMs: number,
    readonly maxTokens: number,
  ) {}

  get size(): number {
    return this.#byToken.size;
  }

  /** Records `token` (base64url text of its bytes) for the session, replacing its previous one. */
  issue(token: string, sessionId: string, peerId: string, family: Family, now: number): void {
    this.revoke(sessionId);
    while (this.#byToken.size >= this.maxTokens) {
      const oldest = this.#byToken.entries().next().value;
      if (oldest === undefined) break;
      this.#delete(oldest[0], oldest[1]);
    }
    this.#byToken.set(token, { sessionId, peerId, family, expiresAt: now + this.ttlMs, bytes: Buffer.from(token, 'base64url') });
    this.#bySession.set(sessionId, token);
  }

  /** Checks a token that came back in a STUN Binding from `family`; a found token is used up. */
  redeem(bytes: Uint8Array, peerId: string, family: Family, now: number): TokenCheck {
    const key = Buffer.from(bytes).toString('base64url');
    const issued = this.#byToken.get(key);
    if (issued === undefined || issued.bytes.length !== bytes.length || !timingSafeEqual(issued.bytes, bytes)) return { ok: false, reason: 'unknown' };
    this.#delete(key, issued);
    if (issued.expiresAt <= now) return { ok: false, reason: 'expired' };
    if (issued.family !== family) return { ok: false, reason: 'wrong-family' };
    if (issued.peerId !== peerId) return { ok: false, reason: 'wrong-peer' };
    return { ok: true, sessionId: issued.sessionId };
  }

  /** Forgets the session's token (its connection closed). */
  revoke(sessionId: string): void {
    const key = this.#bySession.get(sessionId);
    const issued = key === undefined ? undefined : this.#byToken.get(key);
    if (key !== undefined && issued !== undefined) this.#delete(key, issued);
    this.#bySession.delete(sessionId);
  }

  /** Removes up to `limit` expired tokens; returns how many. */
  sweep(now: number, limit: number): number {
    let removed = 0;
    for (const [key, issued] of this.#byToken) {
      if (removed >= limit) break;
      if (issued.expiresAt <= now) {
        this.#delete(key, issued);
        removed++;
      }
    }
    return removed;
  }

  #delete(key: string, issued: Issued): void {
    this.#byToken.delete(key);
    if (this.#bySession.get(issued.sessionId) === key) this.#bySession.delete(issued.sessionId);
  }
}
