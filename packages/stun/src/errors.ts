import { formatEndpoint, type Endpoint } from '@natkit/net';

/** Base class of the errors thrown by @natkit/stun, told apart by a stable `code`. */
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
 * Codes: `ERR_STUN_SERVER_CONFIG`, `ERR_STUN_SERVER_BIND`, `ERR_STUN_SERVER_STATE`.
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

/** `diagnose` was given nothing it can test. Codes: `ERR_NO_SERVERS`, `ERR_RESOLVE`. */
export class DiagnosisError extends StunError {
  override readonly name: string = 'DiagnosisError';
}
