import { ed25519 } from '@noble/curves/ed25519.js';

/** Bytes in an Ed25519 public key, seed and X25519 key (RFC 8032 §5.1.5, RFC 7748 §5). */
export const PUBLIC_KEY_LENGTH = 32;
export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

/**
 * Why a 32-byte string is not acceptable as a peer's Ed25519 public key, or `undefined` when it is.
 * Rejects non-canonical encodings and points off the curve (RFC 8032 §5.1.3), and points of small
 * order: OpenSSL (node:crypto) verifies a signature (R = identity, S = 0) under the identity point
 * for ANY message, so such a key would let anyone "own" a peer id without a private key.
 */
export function checkEd25519PublicKey(publicKey: Uint8Array): string | undefined {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return `an Ed25519 public key has 32 bytes, not ${publicKey.length}`;
  let point;
  try {
    point = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return 'not a point on the Ed25519 curve in canonical encoding';
  }
  if (point.isSmallOrder()) return 'a point of small order (a key that anyone can sign for)';
  return undefined;
}

/**
 * The X25519 public key (RFC 7748 u-coordinate) of the same point: the Noise static key that an
 * Ed25519 identity stands for. Call on a key that passed `checkEd25519PublicKey`.
 */
export function toX25519PublicKey(publicKey: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomery(publicKey);
}

/** The X25519 private scalar (clamped) matching an Ed25519 seed: SHA-512(seed)[0..32] (RFC 8032 §5.1.5). Secret. */
export function toX25519PrivateKey(seed: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomerySecret(seed);
}
