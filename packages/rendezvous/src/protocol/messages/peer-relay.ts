import * as v from 'valibot';
import { CandidateSchema } from '../candidate.js';
import { PeerIdField } from '../fields.js';
import { MAX_CANDIDATES } from '../limits.js';

/**
 * client → server, registered sessions only: "my relayed address changed, tell `to`" (a peer
 * with a running connection to us that may not hear our own announcement: both relays moved at
 * once). Send it after the `update` that announced the new relay candidate. No answer; an
 * unknown `to` is ignored (the peer may have left).
 */
export const NotifyRelaySchema = v.strictObject({
  type: v.literal('notify-relay'),
  to: PeerIdField,
});

/**
 * server → client: peer `from` announced a new relayed address; `candidates` are its registered
 * relay candidates now (as an introduction would carry them: the server's record, not the
 * sender's claim in this message).
 */
export const PeerRelaySchema = v.strictObject({
  type: v.literal('peer-relay'),
  from: PeerIdField,
  candidates: v.pipe(v.array(CandidateSchema), v.maxLength(MAX_CANDIDATES)),
});

export type NotifyRelay = v.InferOutput<typeof NotifyRelaySchema>;
export type PeerRelay = v.InferOutput<typeof PeerRelaySchema>;
