/**
 * Stable codes of the `error` message, one per refusal. Scripts and the client library match on
 * these; the text in `message` may change. `fatal` ones are followed by a close of the connection.
 */
export const ERROR_CODES = [
  /** Not JSON, or a message that does not match its schema (wrong type, missing or extra field). */
  'malformed',
  /** A message whose `type` this version does not know. */
  'unknown-type',
  /** A message over MAX_MESSAGE_BYTES. */
  'too-big',
  /** No offered subprotocol names a version the server speaks. Fatal. */
  'unsupported-version',
  /** The registration signature does not verify with the key that the peer id names. */
  'bad-signature',
  /** The peer id is not a valid peer id text. */
  'invalid-peer-id',
  /** `register.challenge` is not the live challenge of this connection (replayed, or already used). */
  'stale-challenge',
  /** No `register` within the registration window after `hello`. Fatal. */
  'registration-timeout',
  /** A request that needs a registered session, sent before `registered`. */
  'not-registered',
  /** `connect.to` names no registered peer. */
  'unknown-peer',
  /** `connect.to` names the sender itself. */
  'self-connect',
  /** The target of a connect request did not answer the RTT probe in time. */
  'peer-unresponsive',
  /** `verify-address` for a family the server has no UDP port of (or verification is off). */
  'address-unverifiable',
  /** Too many requests (per peer or per IP); `retryAfterMs` says when to try again. */
  'rate-limited',
  /** Too many concurrent connections from this IP. Fatal. */
  'too-many-connections',
  /** A newer authenticated session registered the same peer id. Fatal. */
  'superseded',
  /** The server is shutting down. Fatal. */
  'server-closing',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes after which the server closes the connection. */
export const FATAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'unsupported-version',
  'registration-timeout',
  'too-many-connections',
  'superseded',
  'server-closing',
]);
