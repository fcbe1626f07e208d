import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeNetwork, systemClock } from '@natkit/net';
import { diagnose } from '@natkit/stun';

const BIN = resolve(import.meta.dirname, '../bin/natkit.js');

/**
 * Budget for starting node and loading the CLI: about 0.3 s on an idle machine, more than 10 s
 * seen on a loaded 2-core one. Not what the test is about; a child that dies first fails at once.
 */
const START_BUDGET_MS = 60_000;

describe('natkit serve (the built binary)', () => {
  it('serves RFC 5780 on two loopback IPs, then stops on SIGTERM with exit 0 and its counters', { timeout: START_BUDGET_MS + 30_000 }, async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--address', '127.0.0.1', '--alternate-address', '127.0.0.2', '--port', '0', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const port = await new Promise<number>((resolvePort, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start line within ${START_BUDGET_MS} ms: ${out}${err}`)), START_BUDGET_MS);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`exited (${code}) before serving: ${out}${err}`));
        });
        child.stdout.on('data', () => {
          const m = /on UDP 127\.0\.0\.1:(\d+)/.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolvePort(Number(m[1]));
          }
        });
      });
      expect(out).toMatch(/RFC 5780 behavior discovery/);
      const report = await diagnose({ servers: [{ address: '127.0.0.1', port }], families: [4] }, { network: createNodeNetwork(), clock: systemClock });
      expect(report.ipv4).toMatchObject({ classic: 'open-internet', servers: [{ behaviorDiscovery: true, software: 'natkit' }] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped; \{"received":\d+/);
  });

  it('refuses a bad address with exit code 2', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--address', 'not-an-ip'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(/--address takes an IP address literal/);
  });

  it.each([
    [['--address', '127.0.0.1', '--address6', '127.0.0.2'], /--address6 takes an IPv6 address, next to an IPv4 --address/],
    [['--address', '::1', '--address6', '::1'], /--address6 takes an IPv6 address, next to an IPv4 --address/],
    [['--address', '127.0.0.1', '--alternate-address6', '::1'], /--alternate-address6 takes an IPv6 address, with --address6/],
  ])('refuses a bad dual-stack combination with exit code 2: %j', async (args, message) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});
