import type { ErrorCode } from './protocol/error-code.js';

/** Base class of the errors thrown by @natkit/rendezvous, told apart by a stable `code`. */
export class RendezvousError extends Error {
  override readonly name: string = 'RendezvousError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * The server refused: `code` is the protocol's error code (error-code.ts), e.g. `unknown-peer`,
 * `rate-limited` (then `retryAfterMs`), `bad-signature`, `superseded`.
 */
export class RendezvousRefusedError extends RendezvousError {
  override readonly name: string = 'RendezvousRefusedError';
  constructor(
    override readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(code, `rendezvous server refused (${code}): ${message}`);
  }
}

/**
 * The client could not reach, or lost, the server. Codes: `ERR_RENDEZVOUS_CONNECT` (no
 * connection or no answer in time), `ERR_RENDEZVOUS_CLOSED` (the connection closed or the client
 * was closed), `ERR_RENDEZVOUS_TIMEOUT` (a request got no answer in time), `ERR_RENDEZVOUS_PROTOCOL`
 * (the server spoke something this client does not understand).
 */
export class RendezvousConnectionError extends RendezvousError {
  override readonly name: string = 'RendezvousConnectionError';
}
