import { numberProblem, type Clock, type NumberRange, type Timer } from '@natkit/net';
import { VnetError } from '../errors.js';
import { BinaryHeap, type HeapItem } from './binary-heap.js';

export interface ManualClockOptions {
  /** Initial value of `now()`; default 0. */
  readonly startMs?: number;
  /**
   * Event-loop turns (`setImmediate`) awaited after each timer fires, so that promise
   * continuations and `process.nextTick` callbacks of the code under test run before the next
   * timer. Default 2.
   */
  readonly settleTurns?: number;
  /** Default bound on timers fired by one `advance` or `runUntil`; default 100 000. */
  readonly maxSteps?: number;
}

export interface AdvanceOptions {
  readonly signal?: AbortSignal;
  /** Bound on timers fired by this call; the clock's `maxSteps` when omitted. */
  readonly maxSteps?: number;
}

export interface RunUntilOptions extends AdvanceOptions {
  /**
   * Virtual time the promise may take before the call rejects with ERR_CLOCK_LIMIT; default
   * 3 600 000 (an hour: virtual time costs nothing, and a mapping-lifetime diagnosis takes
   * several minutes of it).
   */
  readonly maxMs?: number;
  /**
   * Aborted (with the VnetError as reason) when the run gives up (ERR_CLOCK_LIMIT,
   * ERR_CLOCK_STEPS, ERR_CLOCK_IDLE). Pass the controller whose signal the code under test
   * got: the clock then keeps firing timers (at most `maxSteps` more) until the promise
   * settles, so that the code closes its sockets, and only then rejects.
   */
  readonly abort?: AbortController;
}

/** Bounds of a `maxSteps`. */
const STEPS = { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true } as const;

/** `value` when it is a finite number in range, else VnetError `ERR_BAD_OPTION`. */
function checked(value: number, what: string, range: NumberRange): number {
  const problem = numberProblem(value, range);
  if (problem !== undefined) throw new VnetError('ERR_BAD_OPTION', `ManualClock ${what} ${problem}`);
  return value;
}

/** Default `RunUntilOptions.maxMs`. */
const DEFAULT_RUN_MS = 3_600_000;

class ManualTimer implements HeapItem, Timer {
  heapIndex = -1;
  constructor(
    readonly heap: BinaryHeap<ManualTimer>,
    public at: number,
    public seq: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    this.heap.remove(this);
  }
}

/**
 * A clock that moves only when told to. It drives every timer of a virtual network and of the
 * code under test: tests call `await clock.advance(ms)` or `await clock.runUntil(promise)`
 * instead of sleeping, and a run takes no real time.
 */
export class ManualClock implements Clock {
  readonly #heap = new BinaryHeap<ManualTimer>();
  readonly #settleTurns: number;
  readonly #maxSteps: number;
  #now: number;
  #seq = 0;
  #busy = false;

  constructor(options: ManualClockOptions = {}) {
    this.#now = checked(options.startMs ?? 0, 'startMs', { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    this.#settleTurns = checked(options.settleTurns ?? 2, 'settleTurns', { min: 0, max: 100, integer: true });
    this.#maxSteps = checked(options.maxSteps ?? 100_000, 'maxSteps', STEPS);
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new ManualTimer(this.#heap, this.#now + delay, this.#seq++, fn);
    this.#heap.push(timer);
    return timer;
  }

  /** Timers scheduled and not yet fired or cancelled (a test's teardown can assert 0). */
  get pendingTimers(): number {
    return this.#heap.size;
  }

  /** When the next timer is due, or undefined when none is scheduled. */
  nextTimerAt(): number | undefined {
    return this.#heap.peek()?.at;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in time order (with `now()`
   * equal to each timer's due time while it runs) and letting promise continuations run after
   * each one. A timer that throws rejects the call; the clock stays at that timer's time.
   */
  async advance(ms: number, options: AdvanceOptions = {}): Promise<void> {
    await this.#exclusive(async () => {
      const target = this.#now + checked(ms, 'advance(ms)', { min: 0, max: Number.MAX_SAFE_INTEGER });
      const maxSteps = checked(options.maxSteps ?? this.#maxSteps, 'maxSteps', STEPS);
      await this.#settle();
      for (let steps = 0; ; steps++) {
        options.signal?.throwIfAborted();
        const next = this.#heap.peek();
        if (next === undefined || next.at > target) break;
        if (steps >= maxSteps) {
          throw new VnetError('ERR_CLOCK_STEPS', `advance fired ${maxSteps} timers without reaching t=${target} ms`);
        }
        this.#fire(next);
        await this.#settle();
      }
      this.#now = Math.max(this.#now, target);
      await this.#settle();
    });
  }

  /**
   * Fires timers one after another, jumping straight to each, until `promise` settles; returns
   * its value or throws its reason. Rejects with ERR_CLOCK_LIMIT when the next timer lies more
   * than `maxMs` past the start, ERR_CLOCK_IDLE when no timer is left while the promise is still
   * pending (a deadlock), ERR_CLOCK_STEPS after `maxSteps` timers.
   */
  async runUntil<T>(promise: Promise<T>, options: RunUntilOptions = {}): Promise<T> {
    let settled = false;
    const observed = promise.then(
      (value) => {
        settled = true;
        return value;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    // The caller gets the outcome from the awaited `observed` below; this keeps a rejection
    // during the run from being reported as unhandled.
    observed.catch(() => undefined);
    await this.#exclusive(async () => {
      const maxMs = checked(options.maxMs ?? DEFAULT_RUN_MS, 'maxMs', { min: 0, max: Number.MAX_SAFE_INTEGER });
      const deadline = this.#now + maxMs;
      const maxSteps = checked(options.maxSteps ?? this.#maxSteps, 'maxSteps', STEPS);
      await this.#settle();
      const isSettled = (): boolean => settled;
      for (let steps = 0; !isSettled(); steps++) {
        options.signal?.throwIfAborted();
        const next = this.#heap.peek();
        const giveUp =
          next === undefined
            ? new VnetError('ERR_CLOCK_IDLE', `promise still pending at t=${this.#now} ms and no timer is scheduled`)
            : next.at > deadline
              ? new VnetError('ERR_CLOCK_LIMIT', `promise still pending after ${maxMs} ms of virtual time`)
              : steps >= maxSteps
                ? new VnetError('ERR_CLOCK_STEPS', `promise still pending after firing ${maxSteps} timers`)
                : undefined;
        if (giveUp !== undefined) {
          if (options.abort !== undefined) await this.#windDown(options.abort, giveUp, maxSteps, isSettled);
          throw giveUp;
        }
        if (next !== undefined) this.#fire(next);
        await this.#settle();
      }
    });
    return observed;
  }

  /** After giving up: aborts the code under test and fires timers until it settles (bounded). */
  async #windDown(abort: AbortController, reason: VnetError, maxSteps: number, settled: () => boolean): Promise<void> {
    abort.abort(reason);
    await this.#settle();
    for (let steps = 0; !settled() && steps < maxSteps; steps++) {
      const next = this.#heap.peek();
      if (next === undefined) break;
      this.#fire(next);
      await this.#settle();
    }
  }

  #fire(timer: ManualTimer): void {
    this.#heap.remove(timer);
    if (timer.at > this.#now) this.#now = timer.at;
    timer.fn();
  }

  async #settle(): Promise<void> {
    for (let i = 0; i < this.#settleTurns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async #exclusive(body: () => Promise<void>): Promise<void> {
    if (this.#busy) throw new VnetError('ERR_CLOCK_BUSY', 'the clock is already being advanced');
    this.#busy = true;
    try {
      await body();
    } finally {
      this.#busy = false;
    }
  }
}
