/**
 * WebSocket close codes the server uses (RFC 6455 §7.4.2: 4000-4999 are private use). The
 * `error` message sent just before, when there is one, carries the stable error code.
 */
export const CloseCode = {
  /** RFC 6455 §7.4.1: the server is going away. */
  GoingAway: 1001,
  /** RFC 6455 §7.4.1: a frame over the hard payload limit. */
  MessageTooBig: 1009,
  UnsupportedVersion: 4000,
  Superseded: 4001,
  RegistrationTimeout: 4002,
  /** No pong within the heartbeat timeout. */
  HeartbeatTimeout: 4004,
  TooManyConnections: 4008,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
