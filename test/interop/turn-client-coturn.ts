/**
 * coturn's `turnserver` on loopback for the TURN client interop tests: private ports, a temporary
 * user database, stopped by pid. `describeWithTools` skips a suite (with its reason) when a tool is
 * missing, but fails it under CI=true, like the lab's `describeLab`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkIpv6Capability } from '../lab/harness/capability.js';
import { checkPrerequisites, describeWhen } from '../lab/harness/prerequisites.js';
import { findTool, type LabTool } from '../lab/harness/tools.js';

export function describeWithTools(name: string, tools: readonly LabTool[], body: () => void, needs: { ipv6?: boolean } = {}): void {
  const found = checkPrerequisites({ tools });
  const ipv6 = needs.ipv6 === true ? checkIpv6Capability() : { ok: true, reason: '' };
  const reason = [found.reason, ipv6.reason].filter((r) => r !== '').join('; ');
  describeWhen('interop', { ok: found.ok && ipv6.ok, reason }, name, body);
}

/** A port free for both UDP and TCP on `address` (127.0.0.1) right now (servers listen on both). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const udp = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => udp.bind(0, address, resolve));
    const port = udp.address().port;
    const tcp = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, address, () => resolve(true));
    });
    udp.close();
    if (ok) {
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no port free for both UDP and TCP');
}

export interface Coturn {
  readonly port: number;
  /** The TLS listening port when started with `tls`. */
  readonly tlsPort: number | undefined;
  readonly realm: string;
  output(): string;
  stop(): Promise<void>;
}

export interface CoturnOptions {
  readonly users?: readonly string[];
  readonly authSecret?: string;
  /** Default true: the tests relay between loopback addresses. */
  readonly allowLoopbackPeers?: boolean;
  readonly extraArgs?: readonly string[];
  /** The address relayed addresses are on (`--relay-ip`); 127.0.0.1 by default. */
  readonly relayIp?: string;
  /** Serve TURN over TLS too, with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/** Starts turnserver on 127.0.0.1 with a 50-port relay range below the ephemeral range. */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  const port = await freePort();
  const realm = 'natkit.test';
  const dir = await mkdtemp(join(tmpdir(), 'natkit-coturn-'));
  const minPort = 20_000 + Math.floor(Math.random() * 200) * 50;
  const tlsPort = options.tls === undefined ? undefined : await freePort();
  if (options.tls !== undefined) {
    await writeFile(join(dir, 'cert.pem'), options.tls.cert);
    await writeFile(join(dir, 'key.pem'), options.tls.key);
  }
  const tlsArgs = tlsPort === undefined
    ? ['--no-tls']
    : [`--tls-listening-port=${tlsPort}`, `--cert=${join(dir, 'cert.pem')}`, `--pkey=${join(dir, 'key.pem')}`];
  const args = [
    '-n', '--no-cli', ...tlsArgs, '--no-dtls', '--listening-ip=127.0.0.1', `--relay-ip=${options.relayIp ?? '127.0.0.1'}`,
    `--listening-port=${port}`, `--min-port=${minPort}`, `--max-port=${minPort + 49}`, `--realm=${realm}`,
    '--log-file=stdout', '--simple-log', `--pidfile=${join(dir, 'pid')}`, `--userdb=${join(dir, 'db')}`,
    ...(options.allowLoopbackPeers === false ? [] : ['--allow-loopback-peers']),
  ];
  if (options.authSecret !== undefined) args.push('--use-auth-secret', `--static-auth-secret=${options.authSecret}`);
  else args.push('--lt-cred-mech', ...(options.users ?? []).map((u) => `--user=${u}`));
  args.push(...(options.extraArgs ?? []));
  const child = spawn(findTool('turnserver')!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const append = (b: Buffer): void => {
    if (output.length < 200_000) output += b.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const stop = async (): Promise<void> => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForStun(port, 5000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- turnserver output ---\n${output.slice(-3000)}`);
  }
  return { port, tlsPort, realm, output: () => output, stop };
}

/** Servers started and not yet stopped: killed by pid if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let netInstalled = false;

/** Registers a server process with the exit-time safety net (SIGKILL by pid, nothing else). */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (netInstalled) return;
  netInstalled = true;
  process.once('exit', () => {
    for (const c of running) {
      try {
        if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Starts several servers at once; if one fails to start, the others are stopped before the error
 * is thrown (a destructuring `await Promise.all` would leave them running).
 */
export async function startServers<T extends readonly Promise<{ stop(): Promise<void> }>[]>(
  starts: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed === undefined) {
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
  }
  await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())));
  throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
}

/** SIGTERM by pid, SIGKILL after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 3000);
  await exited;
  clearTimeout(timer);
}

/** Sends Binding requests every 100 ms until one is answered (bounded by `timeoutMs`). */
export async function waitForStun(port: number, timeoutMs: number, address = '127.0.0.1'): Promise<void> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const request = Buffer.from('000100002112a442' + '0102030405060708090a0b0c', 'hex');
  try {
    await new Promise<void>((resolve, reject) => {
      const tick = setInterval(() => socket.send(request, port, address), 100);
      const deadline = setTimeout(() => {
        clearInterval(tick);
        reject(new Error(`turnserver did not answer on port ${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('message', () => {
        clearTimeout(deadline);
        clearInterval(tick);
        resolve();
      });
      socket.send(request, port, address);
    });
  } finally {
    socket.close();
  }
}
