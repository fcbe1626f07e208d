import { CHALLENGE_BYTES } from './limits.js';

/**
 * Domain-separation context of the registration signature: a signature made for anything else
 * (a handshake, another protocol version) never verifies as a registration, and the reverse.
 */
export const REGISTER_CONTEXT = 'natkit/rendezvous/register/v1';

/**
 * The bytes a peer signs (in the REGISTER_CONTEXT domain) to register: the challenge of its
 * connection's `hello`. Null when the text is not base64url of CHALLENGE_BYTES bytes.
 */
export function registerSigningPayload(challenge: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]+$/.test(challenge)) return null;
  const bytes = Buffer.from(challenge, 'base64url');
  if (bytes.byteLength !== CHALLENGE_BYTES || bytes.toString('base64url') !== challenge) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
