import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/* `natkit serve --workers N` on loopback for the tests: started, found in its output, killed by pid. */
export const BIN = resolve(import.meta.dirname, '../bin/natkit.js');
export const SECRET = 'workers-rest-secret';
const children: ChildProcess[] = [];

export interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly workerPids: number[];
  output(): string;
  waitFor(re: RegExp, ms?: number): Promise<void>;
}

/** `natkit serve --workers 2` (or one process, `workers` 1) on loopback, once its startup output is complete. */
export async function serveWorkers(extra: readonly string[] = [], restSecret = true, workers = 2): Promise<Served> {
  const low = 40_000 + Math.floor(Math.random() * 19) * 400;
  const args = ['serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--workers', String(workers), '--user', 'alice:pw-alice', ...(restSecret ? ['--auth-secret', SECRET] : [])];
  const child = spawn(process.execPath, [BIN, ...args, '--allow-peer', '127.0.0.0/8', '--relay-ports', `${low}-${low + 399}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const waitFor = async (re: RegExp, ms = 15_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${String(re)}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await waitFor(workers > 1 ? /shared by the 2 workers/ : /peers: /);
  const port = Number(/STUN .* on UDP 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const workerPids = [...out.matchAll(/worker \d \(pid (\d+)\)/g)].map((m) => Number(m[1]));
  return { child, port, workerPids, output: () => out, waitFor };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function gone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !pids.some(alive);
}

/** `natkit relay-check` against `server` (a port on 127.0.0.1, or HOST:PORT). */
export function relayCheck(server: number | string, args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, 'relay-check', '--server', typeof server === 'number' ? `127.0.0.1:${server}` : server, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, out: stdout + stderr });
    });
  });
}

/** For afterEach: kills (by pid) every server serveWorkers started that is still running. */
export function killServed(): void {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
}
