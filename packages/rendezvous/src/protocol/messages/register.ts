import * as v from 'valibot';
import { CandidateSchema } from '../candidate.js';
import { ChallengeField, PeerIdField, SignatureField } from '../fields.js';
import { MAX_CANDIDATES } from '../limits.js';
import { NatProfileSchema } from '../nat-profile.js';

/**
 * client → server: claims a peer id. `signature` is the peer's signature, with the key its peer
 * id names, over `registerSigningPayload(challenge)` in the `REGISTER_CONTEXT` domain
 * (register-payload.ts). `challenge` repeats the `hello` challenge so that a replay is told apart
 * from a forgery.
 */
export const RegisterSchema = v.strictObject({
  type: v.literal('register'),
  peerId: PeerIdField,
  challenge: ChallengeField,
  signature: SignatureField,
  nat: NatProfileSchema,
  candidates: v.pipe(v.array(CandidateSchema), v.maxLength(MAX_CANDIDATES)),
});

export type Register = v.InferOutput<typeof RegisterSchema>;
