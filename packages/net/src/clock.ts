/** A cancellable scheduled callback. */
export interface Timer {
  /** Cancels the callback; idempotent. */
  cancel(): void;
}

/**
 * Time and timers. Protocol code reads time and schedules work only through this interface, so
 * that tests drive it with a manual clock (packages/vnet) instead of sleeping.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (at least 0). */
  setTimeout(fn: () => void, ms: number): Timer;
}

/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days); beyond, they fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The process clock: performance.now() and the event loop's timers. A delay past the timers'
 * range (Infinity included) waits the longest they can instead of firing after 1 ms; NaN is 0.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, Number.isNaN(ms) ? 0 : Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    return { cancel: () => clearTimeout(h) };
  },
};

/**
 * Resolves after `ms` on the given clock, or rejects with the signal's reason when aborted.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason as Error);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
