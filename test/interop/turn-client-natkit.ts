/**
 * `natkit serve` (the built CLI, as a user runs it) on loopback for the TURN client interop tests:
 * a private port, a 50-port relay range, loopback peers allowed, stopped by pid.
 */
import { spawn } from 'node:child_process';
import { NATKIT_BIN } from '../lab/harness/natkit.js';
import { freePort, stopChild, trackChild, waitForStun } from './turn-client-coturn.js';

export interface NatkitServe {
  readonly port: number;
  output(): string;
  stop(): Promise<void>;
}

export interface NatkitServeOptions {
  readonly users?: readonly string[];
  readonly authSecrets?: readonly string[];
  /** Default true: `--allow-peer 127.0.0.0/8`. */
  readonly allowLoopbackPeers?: boolean;
  readonly extraArgs?: readonly string[];
  /** Listening and relay address; 127.0.0.1 by default. */
  readonly address?: string;
  /** The relay address (`--relay-address`) when it differs from `address`. */
  readonly relayAddress?: string;
}

export async function startNatkitServe(options: NatkitServeOptions): Promise<NatkitServe> {
  const address = options.address ?? '127.0.0.1';
  const port = await freePort(address);
  const low = 30_000 + Math.floor(Math.random() * 40) * 50;
  const args = [
    NATKIT_BIN, 'serve', '--address', address, '--port', String(port), '--relay-ports', `${low}-${low + 49}`,
    '--relay-address', options.relayAddress ?? address, '--log-level', 'warn',
    ...(options.allowLoopbackPeers === false ? [] : ['--allow-peer', '127.0.0.0/8']),
    ...(options.users ?? []).flatMap((u) => ['--user', u]),
    ...(options.authSecrets ?? []).flatMap((s) => ['--auth-secret', s]),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const append = (b: Buffer): void => {
    if (output.length < 200_000) output += b.toString('utf8');
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  try {
    await waitForStun(port, 10_000, address);
  } catch (e) {
    await stopChild(child);
    throw new Error(`${(e as Error).message}\n--- natkit serve output ---\n${output.slice(-3000)}`);
  }
  return { port, output: () => output, stop: () => stopChild(child) };
}
