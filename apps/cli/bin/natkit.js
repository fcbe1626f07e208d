#!/usr/bin/env node
// V8's memory reducer is put off before the CLI loads (why: src/v8-tuning.ts); so the CLI comes in
// by a dynamic import, after it.
import { deferMemoryReducer } from '../dist/v8-tuning.js';

deferMemoryReducer();
const { main } = await import('../dist/main.js');

// A closed pipe (natkit ... | head) ends output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
