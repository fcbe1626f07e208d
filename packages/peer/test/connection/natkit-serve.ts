import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../../../apps/cli/bin/natkit.js');

export interface RunningServe {
  readonly port: number;
  readonly child: ChildProcess;
  /** Its stdout so far (startup lines). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real `natkit serve` (STUN, TURN, rendezvous on one port) on 127.0.0.1, port 0,
 * relaying to loopback peers (--allow-peer 127.0.0.0/8); stop() ends it by its pid.
 */
export async function startNatkitServe(extra: readonly string[] = []): Promise<RunningServe> {
  const child = spawn(process.execPath, [BIN, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--allow-peer', '127.0.0.0/8', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  let out = '';
  try {
    const port = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`natkit serve did not start: ${out}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /rendezvous \(WebSocket, natkit-rendezvous\.v\d+\) there at ws:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          ok(Number(m[1]));
        }
      });
      child.once('exit', (code) => fail(new Error(`natkit serve exited (${code}): ${out}`)));
    });
    return { port, child, stop, output: () => out };
  } catch (e) {
    await stop();
    throw e;
  }
}
