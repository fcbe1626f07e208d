// V8 settings for natkit's own processes, applied by the launcher (bin/natkit.js) before the CLI loads.
import { setFlagsFromString } from 'node:v8';

/**
 * V8's memory reducer runs one to three memory-reducing full collections some seconds after a
 * full collection that grew the heap (one happens while the CLI loads), once the process
 * allocates little. Each pauses the main thread 10-20 ms (5 ms atomic, the rest in incremental
 * steps), and the relay's fast path runs on that thread: it was the largest stall in the relay's
 * added latency (test/bench/README.md, "The tail"). `--no-memory-reducer` on Node's command line
 * turns it off but needs `env -S` in a #! line (BusyBox has none) and is refused in NODE_OPTIONS;
 * at run time only the reducer's start delay is still read, so the launcher sets that far out
 * (about 23 days, within V8's int flag) before the heap's first full collection. Cost: an idle
 * `natkit serve` keeps about 7.5 MB more resident (70 MB instead of 62).
 */
const START_DELAY_MS = 2_000_000_000;
export const NO_MEMORY_REDUCER = '--no-memory-reducer';

let deferred = false;

/** Pushes the memory reducer's start out of any process's life; call before loading the CLI. */
export function deferMemoryReducer(): void {
  setFlagsFromString(`--gc-memory-reducer-start-delay-ms=${START_DELAY_MS}`);
  deferred = true;
}

/** Whether this process runs without the memory reducer (the launcher's deferral, or Node's flag). */
export function memoryReducerOff(): boolean {
  return deferred || process.execArgv.includes(NO_MEMORY_REDUCER);
}
