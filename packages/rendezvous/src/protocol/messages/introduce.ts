import * as v from 'valibot';
import { CandidateSchema } from '../candidate.js';
import { ChallengeField, DurationMsField, EndpointSchema, PeerIdField, RequestIdField } from '../fields.js';
import { MAX_CANDIDATES, MAX_VERIFIED_ADDRESSES } from '../limits.js';
import { NatProfileSchema } from '../nat-profile.js';

/** What the server knows of a registered peer, as passed to the other side. */
export const PeerInfoSchema = v.strictObject({
  peerId: PeerIdField,
  /** The address the server saw that peer's connection come from (verified by the server). */
  observed: EndpointSchema,
  nat: NatProfileSchema,
  candidates: v.pipe(v.array(CandidateSchema), v.maxLength(MAX_CANDIDATES)),
  /**
   * (v2) UDP addresses the server bound to this peer by an address token (verify-address.ts),
   * at most one per family; absent when there is none. Candidates at these IPs are as verified
   * as those at `observed`'s.
   */
  verified: v.exactOptional(v.pipe(v.array(EndpointSchema), v.maxLength(MAX_VERIFIED_ADDRESSES))),
});

export type PeerInfo = v.InferOutput<typeof PeerInfoSchema>;

/**
 * server → both sides of a connect request. Each side fires its first punch `fireInMs` after it
 * receives this message: the server measured its RTT to both sides just before and delays the
 * side nearer to it by half the RTT difference, so both punches leave at the same moment (DCUtR,
 * research note §3.3, §5.4).
 */
export const IntroduceSchema = v.strictObject({
  type: v.literal('introduce'),
  requestId: RequestIdField,
  /** Random, the same on both sides: names this attempt (and can key its probes). */
  connectionId: ChallengeField,
  /** `initiator`: the side that sent `connect`. */
  role: v.picklist(['initiator', 'responder']),
  peer: PeerInfoSchema,
  fireInMs: DurationMsField,
  /** The server's RTT to this side and to the other side, as used for `fireInMs`. */
  rttMs: DurationMsField,
  peerRttMs: DurationMsField,
});

export type Introduce = v.InferOutput<typeof IntroduceSchema>;
