/**
 * @packageDocumentation
 * A natkit peer's identity: an Ed25519 key pair (node:crypto), its peer id (the public key in a
 * URL-safe text form that pins the key), domain-separated signatures, and key files.
 *
 * @example
 * ```ts
 * import { loadOrCreateIdentity, verifySignature, decodePeerId } from '@natkit/identity';
 * const { identity } = await loadOrCreateIdentity('/home/me/.config/natkit/key.pem'); // mode 0600
 * const challenge = crypto.getRandomValues(new Uint8Array(32)); // the server's
 * const signature = identity.sign('natkit/rendezvous/register/v1', challenge);
 * // on the server, with untrusted input:
 * const claimedPeerId: unknown = identity.peerId; // as received
 * const id = decodePeerId(claimedPeerId);
 * if (id.ok && verifySignature(id.value.publicKey, 'natkit/rendezvous/register/v1', challenge, signature)) {
 *   // the client holds the key of id.value.id
 * }
 * ```
 */
export { IdentityError } from './errors.js';
export { Identity } from './identity.js';
export {
  decodePeerId,
  encodePeerId,
  isPeerId,
  PEER_ID_LENGTH,
  PEER_ID_PATTERN,
  PEER_ID_PREFIX,
  type DecodedPeerId,
  type PeerId,
  type PeerIdResult,
} from './peer-id.js';
export { isSignatureContext, signedBytes, verifySignature } from './signature.js';
export {
  checkEd25519PublicKey,
  PUBLIC_KEY_LENGTH,
  SEED_LENGTH,
  SIGNATURE_LENGTH,
  toX25519PublicKey,
} from './ed25519-key.js';
export { loadIdentity, loadOrCreateIdentity, saveIdentity } from './key-file.js';
