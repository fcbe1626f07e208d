import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/* The built `natkit` binary run as a child process by the apps/cli tests: started, waited on by its output, stopped by pid. */
export const BIN = resolve(import.meta.dirname, '../bin/natkit.js');

/**
 * How long a child may take to print what a test waits for: starting node and loading the CLI take
 * about 0.4 s on an idle machine, more than 10 s has been seen on a loaded 2-core one. Not what the
 * tests are about, so a bound only: a child that exits first fails the wait at once, with its output.
 * Tests that wait for a child give themselves this much more than their own work (see testTimeout).
 */
export const START_BUDGET_MS = 60_000;

export interface NatkitProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  out(): string;
  err(): string;
  /** Its exit code (null: killed by a signal), once it has exited and its output is complete. */
  readonly exited: Promise<number | null>;
}

/** Spawns `natkit ARGS` with stdout and stderr collected (stdin open unless `stdin` is given, then ended with it). */
export function spawnNatkit(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): NatkitProcess {
  return spawnNode([BIN, ...args], options);
}

/** Spawns `node ARGV` (this Node), collected as {@link spawnNatkit} does: for Node flags, or the CLI loaded another way. */
export function spawnNode(argv: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): NatkitProcess {
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (options.stdin !== undefined) child.stdin.end(options.stdin);
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

/**
 * Resolves with the match once `ready` matches the child's stdout (checked on each chunk it
 * writes). Rejects as soon as the child has exited without it, or after `budgetMs` (a bound, not
 * a measurement), saying which and with everything the child printed.
 */
export function waitForOutput(p: NatkitProcess, ready: RegExp, budgetMs = START_BUDGET_MS): Promise<RegExpExecArray> {
  return new Promise((ok, fail) => {
    let settled = false;
    const settle = (error: string | undefined, m?: RegExpExecArray): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.child.stdout?.off('data', check);
      if (m !== undefined) ok(m);
      else fail(new Error(`natkit ${error} before printing ${String(ready)}\nstdout: ${p.out()}\nstderr: ${p.err()}`));
    };
    const check = (): void => {
      const m = ready.exec(p.out());
      if (m !== null) settle(undefined, m);
    };
    const timer = setTimeout(() => settle(`took longer than ${budgetMs} ms`), budgetMs);
    p.child.stdout?.on('data', check);
    check();
    void p.exited.then((code) => {
      check();
      settle(`exited (${p.child.signalCode ?? `code ${code}`})`);
    });
  });
}

/** Runs `natkit ARGS` to its end; killed (SIGKILL, by pid) after `budgetMs`, a bound only. */
export async function runNatkit(args: readonly string[], stdin = '', budgetMs = START_BUDGET_MS): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnNatkit(args, { stdin });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), budgetMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.out(), err: p.err() };
}

/** Sends `signal` (by pid) unless it has exited, and resolves with its exit code. */
export async function stopNatkit(p: NatkitProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}

/**
 * A port number that was free on 127.0.0.1 for UDP and for TCP a moment ago, for a test that gives
 * `natkit serve` a fixed --port (it serves both on that number; a UDP-only probe can hit a number a
 * loopback TCP connection holds). At most 20 numbers are tried.
 */
export async function freeUdpAndTcpPort(): Promise<number> {
  for (let tries = 0; tries < 20; tries++) {
    const udp = createSocket('udp4');
    const port = await new Promise<number>((ok, fail) => {
      udp.once('error', fail);
      udp.bind(0, '127.0.0.1', () => ok(udp.address().port));
    });
    const tcp = createServer();
    const free = await new Promise<boolean>((ok) => {
      tcp.once('error', () => ok(false));
      tcp.listen(port, '127.0.0.1', () => ok(true));
    });
    await new Promise<void>((ok) => (free ? tcp.close(() => ok()) : ok()));
    await new Promise<void>((ok) => udp.close(() => ok()));
    if (free) return port;
  }
  throw new Error('no port number free for both UDP and TCP on 127.0.0.1 in 20 tries');
}
