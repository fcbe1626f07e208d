import { formatEndpoint, type Endpoint } from '@natkit/net';

/**
 * Base class of the errors thrown by @natkit/stun, told apart by a stable `code`. Bad input
 * carries the codes shared by every natkit package (`ERR_BAD_OPTION`, `ERR_BAD_PORT`,
 * `ERR_BAD_SERVER`, `ERR_BAD_ADDRESS`: see `InputErrorCode` in @natkit/net); `planTransmissions`
 * throws a plain StunError `ERR_BAD_OPTION`.
 */
export class StunError extends Error {
  override readonly name: string = 'StunError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/**
 * Thrown when asked to encode something the wire format cannot carry (a text attribute over its
 * RFC limit, an address that is not an IP literal, a port out of range). Decoding never throws.
 * Codes: `ERR_STUN_ENCODE`.
 */
export class StunEncodeError extends StunError {
  override readonly name: string = 'StunEncodeError';
  constructor(message: string) {
    super('ERR_STUN_ENCODE', message);
  }
}

/**
 * Thrown by the STUN server for a configuration it cannot serve (mixed address families, a
 * wildcard address with an alternate) or sockets it cannot bind.
 * Codes: `ERR_STUN_SERVER_CONFIG`, `ERR_STUN_SERVER_BIND`, `ERR_STUN_SERVER_STATE`, and for bad
 * input `ERR_BAD_PORT`, `ERR_BAD_OPTION`.
 */
export class StunServerError extends StunError {
  override readonly name: string = 'StunServerError';
}

/** A request got no answer from the expected address within its retransmission budget. Code `ERR_STUN_TIMEOUT`. */
export class StunTimeoutError extends StunError {
  override readonly name: string = 'StunTimeoutError';
  constructor(
    readonly to: Endpoint,
    readonly attempts: number,
    /** Answers that carried our transaction id but came from another address. */
    readonly wrongSource: readonly Endpoint[],
  ) {
    super(
      'ERR_STUN_TIMEOUT',
      `no STUN answer from ${formatEndpoint(to)} after ${attempts} transmission(s)` +
        (wrongSource.length > 0 ? ` (answers came from ${wrongSource.map(formatEndpoint).join(', ')} instead)` : ''),
    );
  }
}

/**
 * The client refused a transaction. Codes: `ERR_CLIENT_CLOSED`, `ERR_TRANSACTION_REFUSED`
 * (too many outstanding towards one server, RFC 8489 §6.2).
 */
export class StunTransactionError extends StunError {
  override readonly name: string = 'StunTransactionError';
}

/**
 * `diagnose` was given bad options or nothing it can test. Codes: `ERR_BAD_OPTION`,
 * `ERR_BAD_SERVER`, `ERR_BAD_PORT` (the codes every natkit package uses for bad input),
 * `ERR_NO_SERVERS` (no server of the families asked for), `ERR_RESOLVE`.
 */
export class DiagnosisError extends StunError {
  override readonly name: string = 'DiagnosisError';
}
