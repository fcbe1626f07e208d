/**
 * `natkit serve` (the built CLI) as a TURN relay on loopback for the interop tests, and coturn's
 * test tools around it: turnutils_peer (UDP echo peer) and turnutils_uclient. Every process is
 * stopped by pid; ports are picked free at run time (uclient cannot take port 0).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { findTool } from '../lab/harness/tools.js';
import { freePort, stopChild } from './turn-client-coturn.js';

export const NATKIT_BIN = resolve(import.meta.dirname, '../../apps/cli/bin/natkit.js');
// Found on PATH (the suites using them are gated by describeInterop on these tools).
export const UCLIENT = findTool('turnutils_uclient') ?? 'turnutils_uclient';
export const PEER = findTool('turnutils_peer') ?? 'turnutils_peer';

/** Tools missing on this machine (the suite is skipped locally, fails under CI). */
export interface ChildHandle {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

function capture(child: ChildProcess): () => string {
  let out = '';
  const append = (b: Buffer): void => {
    if (out.length < 400_000) out += b.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => out;
}

async function waitForText(output: () => string, re: RegExp, ms: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(output())) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${String(re)}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`no ${String(re)} within ${ms} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A random 400-port relay range inside 40000-47999 (below most ephemeral ports in use). */
export function relayRange(): string {
  const low = 40_000 + Math.floor(Math.random() * 19) * 400;
  return `${low}-${low + 399}`;
}

/** Starts `natkit serve --address ADDRESS --port P FLAGS` and waits for the relay's start line. */
export async function startNatkitRelay(flags: readonly string[], address = '127.0.0.1'): Promise<ChildHandle> {
  const port = await freePort();
  const child = spawn(process.execPath, [NATKIT_BIN, 'serve', '--address', address, '--port', String(port), '--log-level', 'warn', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = capture(child);
  try {
    await waitForText(output, /TURN relay \(RFC 8656\) on UDP/, 15_000, child);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return { port, output, stop: () => stopChild(child) };
}

/** Starts turnutils_peer (a UDP echo) on ADDRESS. */
export async function startEchoPeer(address = '127.0.0.1'): Promise<ChildHandle> {
  const port = await freePort();
  const child = spawn(PEER, ['-L', address, '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = capture(child);
  await new Promise((r) => setTimeout(r, 500)); // it prints nothing when ready; give it a moment to bind
  return { port, output, stop: () => stopChild(child) };
}

export interface UclientRun {
  readonly code: number | null;
  readonly out: string;
}

/** Runs turnutils_uclient ARGS SERVER with a time bound. */
export function runUclient(args: readonly string[], server = '127.0.0.1', timeoutMs = 60_000): Promise<UclientRun> {
  return new Promise((done) => {
    execFile(UCLIENT, [...args, server], { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, out: stdout + stderr });
    });
  });
}

/** The pass criterion of relay.md §4.1: exit 0, messages received, and "Total lost packets 0". */
export function uclientPassed(r: UclientRun): boolean {
  const received = /tot_recv_msgs=(\d+)\s*$/m.exec(r.out);
  return r.code === 0 && /Total lost packets 0 \(/.test(r.out) && received !== null && Number(received[1]) > 0;
}
