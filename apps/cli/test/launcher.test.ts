import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { channelForwardingStatus } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, spawnNode as spawnNodeProcess, START_BUDGET_MS, stopNatkit, waitForOutput, type NatkitProcess } from './natkit-process.js';

/*
 * V8's memory reducer pauses the relay's fast path 10-20 ms (src/v8-tuning.ts). The launcher
 * (bin/natkit.js: `npx natkit`) puts it off before the CLI loads; `npm start` and `serve --workers`
 * use Node's --no-memory-reducer.
 */

const MAIN = pathToFileURL(resolve(import.meta.dirname, '../dist/main.js')).href;
/** Node arguments that load the CLI and run it on the arguments that follow, without bin/natkit.js. */
const WITHOUT_LAUNCHER = ['--input-type=module', '-e', `import { main } from '${MAIN}'; process.exitCode = await main(['node', 'natkit', ...process.argv.slice(1)]);`];
const started: NatkitProcess[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => stopNatkit(p)));
});

function spawnNode(argv: readonly string[]): NatkitProcess {
  const p = spawnNodeProcess(argv);
  started.push(p);
  return p;
}

const SERVE = ['serve', '--address', '127.0.0.1', '--port', '0'];
const argvOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe("the natkit launcher and V8's memory reducer", () => {
  it('says on the fast path line that the launcher put the reducer off, and what to do when the CLI was loaded without it', { timeout: START_BUDGET_MS + 10_000 }, async () => {
    // The same CLI and command: through bin/natkit.js, and by importing dist/main.js directly (as
    // an embedder would). Whether V8 then skips the reducer's collection is measured in the relay
    // benchmark with --trace-gc (test/bench/README.md, "The tail"): V8 starts it by heuristics
    // (allocation and call rates), so no test can wait for it in bounded time.
    const launched = spawnNode([BIN, ...SERVE]);
    const control = spawnNode([...WITHOUT_LAUNCHER, ...SERVE]);
    await Promise.all([waitForOutput(launched, /relay fast path [^\n]*\n/), waitForOutput(control, /relay fast path [^\n]*\n/)]);
    if (channelForwardingStatus().available) {
      expect(launched.out()).toMatch(/relay fast path on: .*; V8's memory reducer off\n/);
      expect(control.out()).toMatch(/relay fast path on: .*; V8's memory reducer ON \(natkit's CLI loaded without its launcher.*--no-memory-reducer\n/);
    } else {
      expect(launched.out()).toMatch(/relay fast path off/);
    }
  });

  it('with Node\'s --no-memory-reducer (npm start), the line says off without the launcher too', { timeout: START_BUDGET_MS + 10_000 }, async () => {
    const p = spawnNode(['--no-memory-reducer', ...WITHOUT_LAUNCHER, ...SERVE]);
    await waitForOutput(p, /relay fast path [^\n]*\n/);
    expect(p.out()).toMatch(channelForwardingStatus().available ? /relay fast path on: .*; V8's memory reducer off\n/ : /relay fast path off/);
  });

  it('starts the relay workers of `serve --workers 2` with --no-memory-reducer', { timeout: START_BUDGET_MS + 10_000 }, async () => {
    const p = spawnNode([BIN, ...SERVE, '--workers', '2']);
    await waitForOutput(p, /shared by the 2 workers/);
    const workers = [...p.out().matchAll(/worker \d \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      const argv = argvOf(pid);
      expect(argv.some((a) => a.endsWith('serve-worker-main.js')), argv.join(' ')).toBe(true);
      expect(argv).toContain('--no-memory-reducer');
    }
  });
});
