import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { channelForwardingStatus } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, START_BUDGET_MS, stopNatkit, waitForOutput, type NatkitProcess } from './natkit-process.js';

/*
 * The `natkit` launcher (bin/natkit.js, run through its #! line as `npx natkit` and `npm start` run
 * it) starts Node with V8's memory reducer off: its full garbage collection some seconds after start
 * stops the relay's fast path for 10-20 ms (test/bench/README.md). Checked on the processes
 * themselves (/proc/PID/cmdline), the relay workers of `serve --workers` included.
 */

const started: NatkitProcess[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => stopNatkit(p)));
});

/** Runs the launcher file itself (exec through its #! line, not `node bin/natkit.js`). */
function launch(args: readonly string[]): NatkitProcess {
  const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const p = { child, out: () => out, err: () => err, exited };
  started.push(p);
  return p;
}

const argvOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

describe('the natkit launcher', () => {
  it('runs `natkit serve` on Node with --no-memory-reducer', { timeout: START_BUDGET_MS + 10_000 }, async () => {
    const p = launch(['serve', '--address', '127.0.0.1', '--port', '0']);
    await waitForOutput(p, /relay fast path [^\n]*\n/);
    // Its startup line says so where the fast path is on (the batched-UDP addon is built).
    expect(p.out()).toMatch(channelForwardingStatus().available ? /relay fast path on: .*; V8's memory reducer off\n/ : /relay fast path off/);
    const argv = argvOf(p.child.pid!);
    expect(argv[0]).toMatch(/node$/);
    expect(argv.slice(1, argv.indexOf(BIN))).toContain('--no-memory-reducer');
  });

  it('gives the flag to the relay workers of `serve --workers 2` too', { timeout: START_BUDGET_MS + 10_000 }, async () => {
    const p = launch(['serve', '--address', '127.0.0.1', '--port', '0', '--workers', '2']);
    await waitForOutput(p, /shared by the 2 workers/);
    const workers = [...p.out().matchAll(/worker \d \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      expect(childrenOf(p.child.pid!)).toContain(pid);
      expect(argvOf(pid)).toContain('--no-memory-reducer');
    }
  });
});
