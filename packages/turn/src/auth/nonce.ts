import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * RFC 8489 §9.2 nonce cookie: "obMatJos2" then the base64 of 24 bits of security features.
 * Bit 0 (the top bit) is "password algorithms", bit 1 "username anonymity" (RFC 8489 §18.1).
 * Both set: 0xC00000 -> "wAAA".
 */
export const NONCE_COOKIE = 'obMatJos2';
export const NONCE_FEATURES = 'wAAA';
const PREFIX = NONCE_COOKIE + NONCE_FEATURES;
const MAC_BYTES = 12;

/** What a NONCE is worth: issued by us and fresh, issued by us but expired, or not ours. */
export type NonceVerdict = 'valid' | 'stale' | 'invalid';

/**
 * Stateless nonces: `cookie ‖ base64url(seconds ‖ HMAC(secret, seconds ‖ scope))[..]` where
 * `scope` is the client's IP and transport. Nothing is stored per client (RFC 8656 §9.2 leaves
 * the nonce format to the server; coturn's docs/stateless-nonce.md does the same).
 */
export class NonceIssuer {
  constructor(
    private readonly secret: Uint8Array,
    private readonly lifetimeMs: number,
  ) {}

  /** A nonce for `scope` issued at `now` (milliseconds on the server clock). */
  issue(scope: string, now: number): string {
    const seconds = Math.max(0, Math.floor(now / 1000)) >>> 0;
    const body = Buffer.alloc(4 + MAC_BYTES);
    body.writeUInt32BE(seconds, 0);
    this.mac(seconds, scope).copy(body, 4);
    return PREFIX + body.toString('base64url');
  }

  /** Checks a nonce received from `scope` at `now`, in constant time for the MAC. */
  verify(nonce: string, scope: string, now: number): NonceVerdict {
    if (!nonce.startsWith(PREFIX) || nonce.length > 64) return 'invalid';
    const body = Buffer.from(nonce.slice(PREFIX.length), 'base64url');
    if (body.length !== 4 + MAC_BYTES) return 'invalid';
    const seconds = body.readUInt32BE(0);
    if (!timingSafeEqual(body.subarray(4), this.mac(seconds, scope))) return 'invalid';
    const age = now - seconds * 1000;
    return age < -1000 || age > this.lifetimeMs ? 'stale' : 'valid';
  }

  private mac(seconds: number, scope: string): Buffer {
    return createHmac('sha256', this.secret).update(`${seconds}|${scope}`).digest().subarray(0, MAC_BYTES);
  }
}
