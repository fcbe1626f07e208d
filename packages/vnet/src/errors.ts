/** Stable codes of the virtual network's own errors. */
export type VnetErrorCode =
  /** A topology or behaviour option is invalid (bad CIDR, unknown preset value, ...). */
  | 'ERR_VNET_CONFIG'
  /** A clock argument is not a number in range (`advance(NaN)`, `maxSteps: 0`, ...); the code every natkit package uses. */
  | 'ERR_BAD_OPTION'
  /** A static address is already used in the same routing domain, or a pool is exhausted. */
  | 'ERR_ADDRESS_IN_USE'
  /** The virtual network was closed. */
  | 'ERR_VNET_CLOSED'
  /** `ManualClock.runUntil` would pass its `maxMs` of virtual time. */
  | 'ERR_CLOCK_LIMIT'
  /** `ManualClock.advance`/`runUntil` fired more timers than `maxSteps`. */
  | 'ERR_CLOCK_STEPS'
  /** `ManualClock.runUntil`: the promise is pending and no timer is left to fire. */
  | 'ERR_CLOCK_IDLE'
  /** `ManualClock.advance`/`runUntil` called while another one is running. */
  | 'ERR_CLOCK_BUSY';

/**
 * Errors of the virtual network, told apart by `code`. Socket-level errors (bind conflicts,
 * sending on a closed socket) are `NetworkError`s from `@natkit/net` with the same codes as the
 * Node adapter, so code under test sees the same errors on both.
 */
export class VnetError extends Error {
  override readonly name = 'VnetError';
  constructor(
    readonly code: VnetErrorCode,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
