import * as v from 'valibot';
import { ChallengeField, DurationMsField } from '../fields.js';

/**
 * server → client, first message of every connection. `challenge` is fresh random bytes, valid
 * for this connection only and for one `register`, within `registerWithinMs`.
 */
export const HelloSchema = v.strictObject({
  type: v.literal('hello'),
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  challenge: ChallengeField,
  registerWithinMs: DurationMsField,
  /** The server pings at this interval; a client that hears nothing for 3 of them may reconnect. */
  heartbeatMs: DurationMsField,
  maxMessageBytes: v.pipe(v.number(), v.integer(), v.minValue(1)),
});

export type Hello = v.InferOutput<typeof HelloSchema>;
