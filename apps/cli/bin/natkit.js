#!/usr/bin/env -S node --no-memory-reducer
// --no-memory-reducer: V8's memory reducer runs a full garbage collection about 8 s after start and
// after each period of heap growth, once the process goes quiet; that pause (5 ms, 10-20 ms with its
// incremental steps) stops the relay's fast path, which runs on this thread, and was the largest
// tail in the relay's added latency (test/bench/README.md). `npm start` and `serve --workers`
// (cluster workers inherit these flags) run with it too; `node bin/natkit.js` does not.
import { main } from '../dist/main.js';

// A closed pipe (natkit ... | head) ends output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
