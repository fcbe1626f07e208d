import { createHash } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import { ed25519 } from '@noble/curves/ed25519.js';

/** Bytes in an Ed25519 public key, seed and X25519 key (RFC 8032 §5.1.5, RFC 7748 §5). */
export const PUBLIC_KEY_LENGTH = 32;
export const SEED_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const P = 2n ** 255n - 19n; // RFC 7748 §4.1
/** Keys recently found valid, with their X25519 form: validation costs a square root (~0.1 ms). */
const MAX_CACHED_KEYS = 4096;
const validKeys = new Map<string, Uint8Array>();

function littleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
}

/** RFC 7748 §4.1: the Montgomery u = (1 + y) / (1 - y) of an Edwards point, as 32 bytes little-endian. */
function montgomeryU(publicKey: Uint8Array): Uint8Array {
  const yBytes = Uint8Array.from(publicKey);
  yBytes[31]! &= 0x7f; // the top bit is the sign of x
  const y = littleEndian(yBytes);
  const u = (((1n + y) % P) * invert((P + 1n - y) % P, P)) % P;
  return Uint8Array.from(Buffer.from(u.toString(16).padStart(64, '0'), 'hex').reverse());
}

/** Validates once, caches the X25519 form; `string` is why the key is refused. */
function lookup(publicKey: Uint8Array): Uint8Array | string {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return `an Ed25519 public key has 32 bytes, not ${publicKey.length}`;
  const id = Buffer.from(publicKey).toString('hex');
  const cached = validKeys.get(id);
  if (cached !== undefined) return cached;
  let point;
  try {
    point = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return 'not a point on the Ed25519 curve in canonical encoding';
  }
  if (point.isSmallOrder()) return 'a point of small order (a key that anyone can sign for)';
  const u = montgomeryU(publicKey);
  validKeys.set(id, u);
  if (validKeys.size > MAX_CACHED_KEYS) validKeys.delete(validKeys.keys().next().value!);
  return u;
}

/**
 * Why a 32-byte string is not acceptable as a peer's Ed25519 public key, or `undefined` when it is.
 * Rejects non-canonical encodings and points off the curve (RFC 8032 §5.1.3), and points of small
 * order: OpenSSL (node:crypto) verifies a signature (R = identity, S = 0) under the identity point
 * for ANY message, so such a key would let anyone "own" a peer id without a private key.
 */
export function checkEd25519PublicKey(publicKey: Uint8Array): string | undefined {
  const r = lookup(publicKey);
  return typeof r === 'string' ? r : undefined;
}

/**
 * The X25519 public key (RFC 7748 u-coordinate) of the same point: the Noise static key that an
 * Ed25519 identity stands for. Throws `TypeError` for a key that `checkEd25519PublicKey` refuses.
 */
export function toX25519PublicKey(publicKey: Uint8Array): Uint8Array {
  const r = lookup(publicKey);
  if (typeof r === 'string') throw new TypeError(`not a usable Ed25519 public key: ${r}`);
  return Uint8Array.from(r);
}

/** The X25519 private scalar (clamped, RFC 7748 §5) matching an Ed25519 seed: SHA-512(seed)[0..32] (RFC 8032 §5.1.5). Secret. */
export function toX25519PrivateKey(seed: Uint8Array): Uint8Array {
  const scalar = new Uint8Array(createHash('sha512').update(seed).digest().subarray(0, 32));
  scalar[0]! &= 248;
  scalar[31]! &= 127;
  scalar[31]! |= 64;
  return scalar;
}
