import { decodePeerId, verifySignature } from '@natkit/identity';
import { REGISTER_CONTEXT } from '../protocol/register-payload.js';
import type { VerifyRegistration } from './server-context.js';

/** The default registration check: @natkit/identity's Ed25519 verify in the REGISTER_CONTEXT domain. */
export const verifyRegistrationWithIdentity: VerifyRegistration = (peerId, payload, signature) => {
  if (!decodePeerId(peerId).ok) return 'invalid-peer-id';
  return verifySignature(peerId, REGISTER_CONTEXT, payload, signature) ? 'ok' : 'bad-signature';
};
