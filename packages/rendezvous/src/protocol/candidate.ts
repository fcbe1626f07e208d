import * as v from 'valibot';
import { IpField, PortField } from './fields.js';

/**
 * Candidate kinds, as ICE names them (RFC 8445 §5.1.1) plus `predicted`: an address and port that
 * a sequential allocator is expected to hand out next (port prediction, research note §5.2).
 * `srflx` is server-reflexive; `relay` is an allocation on a TURN relay.
 */
export const CANDIDATE_TYPES = ['host', 'srflx', 'predicted', 'relay'] as const;
export type CandidateType = (typeof CANDIDATE_TYPES)[number];

/** One UDP transport address a peer may be reached at. */
export const CandidateSchema = v.strictObject({
  type: v.picklist(CANDIDATE_TYPES),
  address: IpField,
  port: v.pipe(PortField, v.minValue(1)),
});

export type Candidate = v.InferOutput<typeof CandidateSchema>;
