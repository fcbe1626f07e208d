import { timingSafeEqual } from 'node:crypto';
import type { Family } from '@natkit/net';

/** What checking a presented token found. */
export type TokenCheck =
  | { readonly ok: true; readonly sessionId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'wrong-family' | 'wrong-peer' };

/** What checking a returned proof found. */
export type ProofCheck =
  | { readonly ok: true; readonly observed: { readonly address: string; readonly port: number } }
  | { readonly ok: false; readonly reason: 'no-proof-pending' | 'expired' | 'wrong-family' | 'wrong-proof' };

interface Pending {
  readonly family: Family;
  readonly observed: { readonly address: string; readonly port: number };
  readonly expiresAt: number;
  readonly bytes: Buffer;
}

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
 * from the family it was issued for, naming the peer it was issued to, and then only once the
 * proof the server sent to that address came back over the session (return routability): at most
 * one pending proof per session, `maxTokens` in all, valid `ttlMs`.
 */
export class AddressTokens {
  readonly #byToken = new Map<string, Issued>();
  readonly #bySession = new Map<string, string>();
  readonly #pending = new Map<string, Pending>();

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

  /** After a redeemed token: `proof` (base64url) was sent to `observed`; the session must return it. */
  pend(sessionId: string, family: Family, observed: Pending['observed'], proof: string, now: number): void {
    this.#pending.delete(sessionId);
    while (this.#pending.size >= this.maxTokens) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
    this.#pending.set(sessionId, { family, observed, expiresAt: now + this.ttlMs, bytes: Buffer.from(proof, 'base64url') });
  }

  /** The session returned `bytes` for `family`: the address to bind, or why not. The pending proof is used up either way. */
  confirm(sessionId: string, bytes: Uint8Array, family: Family, now: number): ProofCheck {
    const pending = this.#pending.get(sessionId);
    if (pending === undefined) return { ok: false, reason: 'no-proof-pending' };
    this.#pending.delete(sessionId);
    if (pending.expiresAt <= now) return { ok: false, reason: 'expired' };
    if (pending.family !== family) return { ok: false, reason: 'wrong-family' };
    if (pending.bytes.length !== bytes.length || !timingSafeEqual(pending.bytes, bytes)) return { ok: false, reason: 'wrong-proof' };
    return { ok: true, observed: pending.observed };
  }

  /** Forgets the session's token and pending proof (its connection closed). */
  revoke(sessionId: string): void {
    this.#pending.delete(sessionId);
    const key = this.#bySession.get(sessionId);
    const issued = key === undefined ? undefined : this.#byToken.get(key);
    if (key !== undefined && issued !== undefined) this.#delete(key, issued);
    this.#bySession.delete(sessionId);
  }

  /** Removes up to `limit` expired tokens (and as many expired proofs); returns how many tokens. */
  sweep(now: number, limit: number): number {
    let proofs = 0;
    for (const [sessionId, pending] of this.#pending) {
      if (proofs >= limit) break;
      if (pending.expiresAt <= now) {
        this.#pending.delete(sessionId);
        proofs++;
      }
    }
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
