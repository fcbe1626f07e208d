import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Endpoint } from '@natkit/net';
import { RENDEZVOUS_PATH } from '@natkit/rendezvous';
import { afterAll, beforeAll } from 'vitest';
import type { Peer, PeerConnection } from '../../src/index.js';

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
/**
 * Starts `natkit serve` on loopback with `extra` flags; resolves once its rendezvous line and, when
 * given, a line matching `ready` were printed (the startup lines may come in separate chunks).
 */
export async function startNatkitServe(extra: readonly string[] = [], ready?: RegExp): Promise<RunningServe> {
  const child = spawn(process.execPath, [BIN, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--allow-peer', '127.0.0.0/8', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    if (err.length < 4096) err += d.toString();
  });
  try {
    const port = await new Promise<number>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`natkit serve did not start: ${out}${err}`)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /rendezvous \(WebSocket, natkit-rendezvous\.v\d+\) there at ws:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m !== null && (ready === undefined || ready.test(out))) {
          clearTimeout(timer);
          ok(Number(m[1]));
        }
      });
      child.once('exit', (code) => fail(new Error(`natkit serve exited (${code}): ${out}${err}`)));
    });
    return { port, child, stop, output: () => out };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The `natkit serve` of a test file (see useNatkitServe); read it inside tests, after beforeAll. */
export interface NatkitServeFixture {
  readonly port: number;
  /** `{ address: '127.0.0.1', port }`: createPeer's `server`. */
  readonly server: { readonly address: string; readonly port: number };
  /** The rendezvous WebSocket URL (`ws://127.0.0.1:PORT/...`). */
  readonly rendezvousUrl: string;
}

/**
 * One real `natkit serve` for the test file: started in beforeAll, stopped (by its pid) in
 * afterAll, also when a test failed.
 */
export function useNatkitServe(extra: readonly string[] = []): NatkitServeFixture {
  let serve: RunningServe | undefined;
  beforeAll(async () => {
    serve = await startNatkitServe(extra);
  }, 20_000);
  afterAll(async () => {
    await serve?.stop();
  });
  const port = (): number => {
    if (serve === undefined) throw new Error('natkit serve is not running: use the fixture inside a test');
    return serve.port;
  };
  return {
    get port() {
      return port();
    },
    get server() {
      return { address: '127.0.0.1', port: port() };
    },
    get rendezvousUrl() {
      return `ws://127.0.0.1:${port()}${RENDEZVOUS_PATH}`;
    },
  };
}

/** The `natkit serve --address6 ::1` of a test file (see useDualStackServe). */
export interface DualStackServeFixture {
  readonly server: Endpoint;
  /** The IPv6 port it announces for address verification. */
  readonly server6: Endpoint;
  /** Its stdout so far (startup lines). */
  readonly output: string;
}

/**
 * A dual-stack `natkit serve --address6 ::1` for the test file or describe block
 * (beforeAll/afterAll): `server` its IPv4 address, `server6` the IPv6 port it announces for
 * address verification. `extra` gives more flags (e.g. `--workers 2`), in beforeAll.
 */
export function useDualStackServe(extra: () => Promise<readonly string[]> | readonly string[] = () => []): DualStackServeFixture {
  const line = /dual stack: the rendezvous binds peers' IPv6 addresses .* on UDP \[::1\]:(\d+)/;
  let serve: RunningServe | undefined;
  let port6 = 0;
  beforeAll(async () => {
    serve = await startNatkitServe(['--address6', '::1', ...(await extra())], line);
    port6 = Number(line.exec(serve.output())?.[1] ?? 0);
    if (port6 === 0) throw new Error(`no dual-stack line in: ${serve.output()}`);
  }, 30_000);
  afterAll(async () => {
    await serve?.stop();
  });
  const running = (): RunningServe => {
    if (serve === undefined) throw new Error('natkit serve is not running: use the fixture inside a test');
    return serve;
  };
  return {
    get server() {
      return { address: '127.0.0.1', port: running().port };
    },
    get server6() {
      running();
      return { address: '::1', port: port6 };
    },
    get output() {
      return running().output();
    },
  };
}

/** The next connection `peer` accepts. */
export function accepted(peer: Peer): Promise<PeerConnection> {
  return new Promise((resolve) => {
    const off = peer.onConnection((c) => {
      off();
      resolve(c);
    });
  });
}
