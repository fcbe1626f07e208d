import { createHash } from 'node:crypto';
import { decodeBase32, encodeBase32 } from './base32.js';
import { checkEd25519PublicKey, PUBLIC_KEY_LENGTH } from './ed25519-key.js';
import { IdentityError } from './errors.js';

declare const peerIdBrand: unique symbol;

/**
 * A peer id: the text form of a peer's Ed25519 public key, so the id pins the key.
 *
 * Format (version 1): `nk1` followed by 55 characters of RFC 4648 base32 in lower case, without
 * padding, of 34 bytes: the 32-byte Ed25519 public key (RFC 8032) then a 2-byte checksum, the
 * first two bytes of SHA-256(`natkit-peer-id-v1` || key). 58 characters in all, URL-, file-name-
 * and DNS-label-safe. Every key has exactly one peer id (lower case only, zero padding bits).
 * The checksum only catches typing mistakes; the security comes from the key itself.
 */
export type PeerId = string & { readonly [peerIdBrand]: true };

export const PEER_ID_PREFIX = 'nk1';
export const PEER_ID_LENGTH = 58;
/** The shape of a peer id (for a schema); `decodePeerId` also checks the checksum and the key. */
export const PEER_ID_PATTERN = /^nk1[a-z2-7]{55}$/;

const CHECKSUM_LENGTH = 2;
const CHECKSUM_DOMAIN = 'natkit-peer-id-v1';

export interface DecodedPeerId {
  readonly id: PeerId;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

export type PeerIdResult = { ok: true; value: DecodedPeerId } | { ok: false; reason: string };

function checksum(publicKey: Uint8Array): Uint8Array {
  return createHash('sha256').update(CHECKSUM_DOMAIN).update(publicKey).digest().subarray(0, CHECKSUM_LENGTH);
}

/** The peer id of an Ed25519 public key. Throws `IdentityError` (`ERR_IDENTITY_KEY`) for an unusable key. */
export function encodePeerId(publicKey: Uint8Array): PeerId {
  const why = checkEd25519PublicKey(publicKey);
  if (why !== undefined) throw new IdentityError('ERR_IDENTITY_KEY', `cannot make a peer id: ${why}`);
  const body = new Uint8Array(PUBLIC_KEY_LENGTH + CHECKSUM_LENGTH);
  body.set(publicKey);
  body.set(checksum(publicKey), PUBLIC_KEY_LENGTH);
  return (PEER_ID_PREFIX + encodeBase32(body)) as PeerId;
}

/** Decodes untrusted text into a peer id and its public key. Never throws. */
export function decodePeerId(text: unknown): PeerIdResult {
  if (typeof text !== 'string') return { ok: false, reason: 'a peer id is a string' };
  if (text.length !== PEER_ID_LENGTH) return { ok: false, reason: `a peer id has ${PEER_ID_LENGTH} characters, not ${text.length}` };
  if (!text.startsWith(PEER_ID_PREFIX)) return { ok: false, reason: `a peer id starts with '${PEER_ID_PREFIX}'` };
  const body = decodeBase32(text.slice(PEER_ID_PREFIX.length));
  if (body?.length !== PUBLIC_KEY_LENGTH + CHECKSUM_LENGTH) {
    return { ok: false, reason: 'a peer id is lower-case base32 (a-z, 2-7) after its prefix' };
  }
  const publicKey = body.slice(0, PUBLIC_KEY_LENGTH);
  const sum = checksum(publicKey);
  if (sum[0] !== body[PUBLIC_KEY_LENGTH] || sum[1] !== body[PUBLIC_KEY_LENGTH + 1]) {
    return { ok: false, reason: 'peer id checksum mismatch (mistyped?)' };
  }
  const why = checkEd25519PublicKey(publicKey);
  if (why !== undefined) return { ok: false, reason: `peer id key rejected: ${why}` };
  return { ok: true, value: { id: text as PeerId, publicKey } };
}

/** True when `text` is a valid peer id (same checks as `decodePeerId`). */
export function isPeerId(text: unknown): text is PeerId {
  return decodePeerId(text).ok;
}
