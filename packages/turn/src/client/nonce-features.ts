import { NONCE_COOKIE } from '../auth/nonce.js';

/** Security features a server announces in its nonce. RFC 8489 §9.2, §18.1 */
export interface NonceFeatures {
  /** Bit 0 (0x000001): PASSWORD-ALGORITHMS is offered (and must be echoed). */
  readonly passwordAlgorithms: boolean;
  /** Bit 1 (0x000002): the client must send USERHASH instead of USERNAME. */
  readonly userAnonymity: boolean;
}

const NONE: NonceFeatures = { passwordAlgorithms: false, userAnonymity: false };

/**
 * Reads the security feature set of a nonce: after the cookie, 24 bits in 4 base64 characters
 * (RFC 8489 §9.2). Bit 0 is the LEAST significant bit of the 24: RFC 8489 §18.1 as corrected by
 * its erratum on the bit order, which libjuice follows (src/stun.h: password algorithms 0x01,
 * anonymity 0x02), so "AAAD" announces both and "wAAA" announces nothing. A nonce without the
 * cookie announces nothing.
 */
export function readNonceFeatures(nonce: string): NonceFeatures {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return NONE;
  const text = nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4);
  if (!/^[A-Za-z0-9+/]{4}$/.test(text)) return NONE;
  const bytes = Buffer.from(text, 'base64');
  const last = bytes[2] ?? 0;
  return { passwordAlgorithms: (last & 0x01) !== 0, userAnonymity: (last & 0x02) !== 0 };
}
