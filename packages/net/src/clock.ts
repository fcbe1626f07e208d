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

/** The process clock: performance.now() and the event loop's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const h = setTimeout(fn, Math.max(0, ms));
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
