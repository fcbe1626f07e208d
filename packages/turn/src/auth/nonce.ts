import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * RFC 8489 §9.2 nonce cookie: "obMatJos2" then the base64 of 24 bits of security features.
 * Bit 0 is "password algorithms", bit 1 "username anonymity" (RFC 8489 §18.1), counted from the
 * rightmost bit as RFC 8489 erratum 6268 (ID 6268) says and libjuice reads them: both set is
 * 0x000003 -> "AAAD". (The top-bit reading, "wAAA", leaves libjuice on MD5 and USERNAME.)
 */
export const NONCE_COOKIE = 'obMatJos2';
/** Password algorithms and username anonymity (bits 0 and 1). */
export const NONCE_FEATURES = 'AAAD';
/**
 * Password algorithms only (bit 0): for servers with REST secrets, whose users cannot be found
 * from a USERHASH (the user name is needed to derive the password), so anonymity is not offered.
 */
export const NONCE_FEATURES_NO_ANONYMITY = 'AAAB';
const MAC_BYTES = 12;

/** What a NONCE is worth: issued by us and fresh, issued by us but expired, or not ours. */
export type NonceVerdict = 'valid' | 'stale' | 'invalid';

/**
 * Stateless nonces: `cookie ‖ base64url(seconds ‖ HMAC(secret, seconds ‖ scope))[..]` where
 * `scope` is the client's IP and transport. Nothing is stored per client (RFC 8656 §9.2 leaves
 * the nonce format to the server; coturn's docs/stateless-nonce.md does the same).
 */
export class NonceIssuer {
  private readonly prefix: string;

  constructor(
    private readonly secret: Uint8Array,
    private readonly lifetimeMs: number,
    features: string = NONCE_FEATURES,
  ) {
    this.prefix = NONCE_COOKIE + features;
  }

  /** A nonce for `scope` issued at `now` (milliseconds on the server clock). */
  issue(scope: string, now: number): string {
    const seconds = Math.max(0, Math.floor(now / 1000)) >>> 0;
    const body = Buffer.alloc(4 + MAC_BYTES);
    body.writeUInt32BE(seconds, 0);
    this.mac(seconds, scope).copy(body, 4);
    return this.prefix + body.toString('base64url');
  }

  /** Checks a nonce received from `scope` at `now`, in constant time for the MAC. */
  verify(nonce: string, scope: string, now: number): NonceVerdict {
    if (!nonce.startsWith(this.prefix) || nonce.length > 64) return 'invalid';
    const body = Buffer.from(nonce.slice(this.prefix.length), 'base64url');
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
