import { TurnError } from '../errors.js';

/**
 * Why a TURN client operation failed, in the terms a user acts on:
 * - `ERR_TURN_AUTH`: wrong credentials (401 to a signed request, 441), or a challenge that
 *   cannot be answered (no REALM/NONCE, a password-algorithm bid-down, 438 after 438);
 * - `ERR_TURN_FORBIDDEN`: 403, the server refuses this peer or this user;
 * - `ERR_TURN_TIMEOUT`: no answer from the server;
 * - `ERR_TURN_REFUSED`: any other error answer (quota 486, capacity 508, 437, 442, ...), "relay refused";
 * - `ERR_TURN_REDIRECT`: too many or looping ALTERNATE-SERVER redirects;
 * - `ERR_TURN_PROTOCOL`: an answer that breaks the protocol (no relayed address, bad integrity);
 * - `ERR_TURN_CLOSED`: the allocation or its control connection is gone.
 * `status` is the TURN error code when there was one.
 */
export class TurnClientError extends TurnError {
  override readonly name: string = 'TurnClientError';
  constructor(
    code: TurnClientErrorCode,
    message: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(code, message, cause);
  }
}

export type TurnClientErrorCode =
  | 'ERR_TURN_AUTH'
  | 'ERR_TURN_FORBIDDEN'
  | 'ERR_TURN_TIMEOUT'
  | 'ERR_TURN_REFUSED'
  | 'ERR_TURN_REDIRECT'
  | 'ERR_TURN_PROTOCOL'
  | 'ERR_TURN_CLOSED';
