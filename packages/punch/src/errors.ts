/** Stable codes of the errors `@natkit/punch` throws (bad options only: attempts resolve, never throw). */
export type PunchErrorCode = 'ERR_PUNCH_OPTION';

export class PunchError extends Error {
  override readonly name = 'PunchError';
  constructor(
    readonly code: PunchErrorCode,
    message: string,
  ) {
    super(message);
  }
}
