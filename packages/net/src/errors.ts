/** Errors of the network layer, told apart by `code`. */
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
