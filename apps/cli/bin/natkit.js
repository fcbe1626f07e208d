#!/usr/bin/env node
import { main } from '../dist/main.js';

// A closed pipe (natkit ... | head) ends output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main(process.argv);
