import * as v from 'valibot';
import { CandidateSchema } from '../candidate.js';
import { MAX_CANDIDATES } from '../limits.js';
import { NatProfileSchema } from '../nat-profile.js';

/** client → server, registered sessions only: new NAT profile and candidates (network change). */
export const UpdateSchema = v.strictObject({
  type: v.literal('update'),
  nat: NatProfileSchema,
  candidates: v.pipe(v.array(CandidateSchema), v.maxLength(MAX_CANDIDATES)),
});

export type Update = v.InferOutput<typeof UpdateSchema>;
