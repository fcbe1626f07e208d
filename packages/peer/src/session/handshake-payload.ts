import { checkEd25519PublicKey, encodePeerId, toX25519PublicKey, type Identity, type PeerId } from '@natkit/identity';
import { dhKeyPairFromPrivate, type DhKeyPair } from './noise-crypto.js';
import { INIT_PAYLOAD_LENGTH, readU32, writeU32 } from './packet.js';

/**
 * The identity binding. A peer's Noise static key is the X25519 form of its Ed25519 identity key
 * (the same scalar; `Identity.x25519PrivateKey`), so the initiator takes the responder's static
 * key from the peer id itself: nobody in the middle can substitute another. The initiator's
 * Ed25519 key travels encrypted in message 1; the responder accepts it only if its X25519 form
 * is the static key the handshake authenticated.
 */
export const SESSION_PROLOGUE = Buffer.from('natkit/session/v1\0', 'ascii');

const staticKeys = new WeakMap<Identity, DhKeyPair>();

/** The Noise static key pair of an identity (its X25519 form), made once per identity. */
export function staticKeyPairOf(identity: Identity): DhKeyPair {
  let keyPair = staticKeys.get(identity);
  if (keyPair === undefined) {
    keyPair = dhKeyPairFromPrivate(identity.x25519PrivateKey());
    staticKeys.set(identity, keyPair);
  }
  return keyPair;
}

export function prologueFor(initHeader: Uint8Array): Uint8Array {
  return Buffer.concat([SESSION_PROLOGUE, initHeader]);
}

/** Init payload: the initiator's Ed25519 public key (32 bytes), then its wall-clock timestamp in ms (u64 BE). */
export function encodeInitPayload(publicKey: Uint8Array, timestamp: number): Uint8Array {
  const payload = new Uint8Array(INIT_PAYLOAD_LENGTH);
  payload.set(publicKey);
  writeU32(payload, 32, Math.floor(timestamp / 0x1_0000_0000));
  writeU32(payload, 36, timestamp >>> 0);
  return payload;
}

export type InitPayloadResult =
  | { ok: true; value: { peerId: PeerId; timestamp: number } }
  | { ok: false; reason: 'malformed' | 'identity-mismatch' };

/** Checks an authenticated init payload against the static key `rs` the handshake proved. */
export function decodeInitPayload(payload: Uint8Array, rs: Uint8Array): InitPayloadResult {
  if (payload.length !== INIT_PAYLOAD_LENGTH) return { ok: false, reason: 'malformed' };
  const publicKey = payload.slice(0, 32);
  if (checkEd25519PublicKey(publicKey) !== undefined) return { ok: false, reason: 'identity-mismatch' };
  if (!Buffer.from(toX25519PublicKey(publicKey)).equals(rs)) return { ok: false, reason: 'identity-mismatch' };
  const high = readU32(payload, 32);
  if (high >= 0x20_0000) return { ok: false, reason: 'malformed' };
  return { ok: true, value: { peerId: encodePeerId(publicKey), timestamp: high * 0x1_0000_0000 + readU32(payload, 36) } };
}
