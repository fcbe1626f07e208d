/**
 * Errors of the network layer, told apart by `code`: bad input (`ERR_BAD_PORT`,
 * `ERR_BAD_ADDRESS`, `ERR_BAD_OPTION`), `ERR_BIND`, `ERR_CONNECT`, `ERR_SOCKET_CLOSED`,
 * `ERR_SOCKET_CONNECTED`, and the OS's own codes (`ECONNREFUSED`, ...) for send errors.
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
