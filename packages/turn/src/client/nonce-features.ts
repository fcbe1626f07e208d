import { NONCE_COOKIE } from '../auth/nonce.js';

/** Security features a server announces in its nonce. RFC 8489 §9.2, §18.1 */
export interface NonceFeatures {
  /** Bit 0: PASSWORD-ALGORITHMS is offered (and must be echoed). */
  readonly passwordAlgorithms: boolean;
  /** Bit 1: the client must send USERHASH instead of USERNAME. */
  readonly userAnonymity: boolean;
}

const NONE: NonceFeatures = { passwordAlgorithms: false, userAnonymity: false };

/**
 * Reads the security feature set of a nonce: after the cookie, 24 bits in 4 base64 characters,
 * bit 0 being the most significant (RFC 8489 §9.2). A nonce without the cookie announces nothing.
 */
export function readNonceFeatures(nonce: string): NonceFeatures {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return NONE;
  const text = nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4);
  if (!/^[A-Za-z0-9+/]{4}$/.test(text)) return NONE;
  const bits = Buffer.from(text, 'base64');
  const first = bits[0] ?? 0;
  return { passwordAlgorithms: (first & 0x80) !== 0, userAnonymity: (first & 0x40) !== 0 };
}
