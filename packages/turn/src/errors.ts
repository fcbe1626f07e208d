/** Base class of the errors thrown by @natkit/turn, told apart by a stable `code`. */
export class TurnError extends Error {
  override readonly name: string = 'TurnError';
  constructor(
    readonly code: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
