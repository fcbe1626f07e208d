import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { checkEd25519PublicKey, SIGNATURE_LENGTH } from './ed25519-key.js';
import { IdentityError } from './errors.js';
import { decodePeerId, type PeerId } from './peer-id.js';

/**
 * Domain separation: an Ed25519 signature is never over the caller's bytes alone, but over
 *   `natkit/signature/v1` || 0x00 || u8(context length) || context (ASCII) || message
 * so a signature made for one purpose (say the rendezvous registration challenge) can never be
 * replayed as another (a handshake, a relay credential). The length byte keeps the encoding
 * unambiguous. Contexts are 1-64 printable ASCII characters without spaces; name them like
 * `natkit/rendezvous/register/v1`.
 */
const SIGNATURE_DOMAIN = Buffer.from('natkit/signature/v1\0', 'ascii');
const CONTEXT_PATTERN = /^[\x21-\x7e]{1,64}$/;

export function isSignatureContext(context: string): boolean {
  return CONTEXT_PATTERN.test(context);
}

/** The exact bytes that get signed for `context` and `message`. Throws `ERR_SIGNATURE_CONTEXT`. */
export function signedBytes(context: string, message: Uint8Array): Buffer {
  if (!isSignatureContext(context)) {
    throw new IdentityError('ERR_SIGNATURE_CONTEXT', 'a signature context is 1-64 printable ASCII characters without spaces');
  }
  return Buffer.concat([SIGNATURE_DOMAIN, Uint8Array.of(context.length), Buffer.from(context, 'ascii'), message]);
}

export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
}

/**
 * True when `signature` is the signer's signature over `message` in `context`. `signer` is a peer
 * id or a raw 32-byte public key. Every input may be hostile: a malformed peer id, a key of small
 * order, a signature of the wrong length or a bad context give `false`, never an exception.
 */
export function verifySignature(
  signer: PeerId | string | Uint8Array,
  context: string,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== SIGNATURE_LENGTH || !isSignatureContext(context)) return false;
  let publicKey: Uint8Array;
  if (typeof signer === 'string') {
    const decoded = decodePeerId(signer);
    if (!decoded.ok) return false;
    publicKey = decoded.value.publicKey;
  } else {
    if (checkEd25519PublicKey(signer) !== undefined) return false;
    publicKey = signer;
  }
  try {
    return cryptoVerify(null, signedBytes(context, message), ed25519PublicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
