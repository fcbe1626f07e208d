import * as v from 'valibot';
import { DurationMsField, EndpointSchema, PeerIdField, TextField } from '../fields.js';
import { MAX_RELAY_URLS } from '../limits.js';

/**
 * Short-lived credentials for the server's own relay (TURN REST scheme: username
 * `expiry:user`, password base64 HMAC-SHA1 of it), so peers need no relay configuration.
 */
export const RelayCredentialsSchema = v.strictObject({
  username: TextField,
  password: TextField,
  /** Seconds the credentials stay valid. */
  ttl: v.pipe(v.number(), v.integer(), v.minValue(0)),
  urls: v.pipe(v.array(TextField), v.maxLength(MAX_RELAY_URLS)),
});

export type RelayCredentials = v.InferOutput<typeof RelayCredentialsSchema>;

/** server → client: the registration is accepted. */
export const RegisteredSchema = v.strictObject({
  type: v.literal('registered'),
  peerId: PeerIdField,
  /** The address and port the server saw this connection come from. */
  observed: EndpointSchema,
  /** Null when the server runs without a relay. */
  relay: v.nullable(RelayCredentialsSchema),
  /** The registration lapses this long after the last sign of life (a pong). */
  presenceTtlMs: DurationMsField,
});

export type Registered = v.InferOutput<typeof RegisteredSchema>;
