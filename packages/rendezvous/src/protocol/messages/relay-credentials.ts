import * as v from 'valibot';
import { RelayCredentialsSchema } from './registered.js';

/**
 * client → server, registered sessions only: asks for fresh relay credentials (those of
 * `registered` expire after their `ttl`; a long-lived peer asks again before then). Answered by
 * `relay-credentials`. Counted against the connection's message rate like every message.
 */
export const RefreshRelaySchema = v.strictObject({
  type: v.literal('refresh-relay'),
});

/** server → client: the answer to `refresh-relay`, with a fresh `ttl` (null: the server runs without a relay). */
export const RelayCredentialsMessageSchema = v.strictObject({
  type: v.literal('relay-credentials'),
  relay: v.nullable(RelayCredentialsSchema),
});

export type RefreshRelay = v.InferOutput<typeof RefreshRelaySchema>;
export type RelayCredentialsMessage = v.InferOutput<typeof RelayCredentialsMessageSchema>;
