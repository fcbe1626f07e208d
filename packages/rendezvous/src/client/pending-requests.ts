import type { Clock, Timer } from '@natkit/net';

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
  readonly timer: Timer;
  readonly cleanup: () => void;
}

/** Requests waiting for their answer by id, each with a timeout and an optional AbortSignal. */
export class PendingRequests<T> {
  readonly #pending = new Map<string, Pending<T>>();

  constructor(private readonly clock: Clock) {}

  /** Waits for `resolve(id, …)`; rejects with `timeoutError()` after `timeoutMs` or the signal's reason. */
  wait(id: string, timeoutMs: number, timeoutError: () => Error, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.reject(id, signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = this.clock.setTimeout(() => {
        this.reject(id, timeoutError());
      }, timeoutMs);
      this.#pending.set(id, {
        resolve,
        reject,
        timer,
        cleanup: () => {
          signal?.removeEventListener('abort', onAbort);
        },
      });
    });
  }

  has(id: string): boolean {
    return this.#pending.has(id);
  }

  resolve(id: string, value: T): boolean {
    const pending = this.#take(id);
    pending?.resolve(value);
    return pending !== undefined;
  }

  reject(id: string, error: Error): boolean {
    const pending = this.#take(id);
    pending?.reject(error);
    return pending !== undefined;
  }

  rejectAll(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, error);
  }

  #take(id: string): Pending<T> | undefined {
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    pending.timer.cancel();
    pending.cleanup();
    return pending;
  }
}
