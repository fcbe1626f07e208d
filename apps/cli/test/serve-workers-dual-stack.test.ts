import { createNodeNetwork } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { freeDualStackLoopbackPort } from '../../../packages/net/test/free-loopback-port.js';
import { killServed, relayCheck, serveWorkers } from './serve-workers-fixture.js';

/*
 * `natkit serve --workers 2 --address6 ::1`: the workers serve IPv4; the IPv6 sockets (STUN, and
 * TURN by the primary's relay) stay in the primary beside the rendezvous, which verifies peers'
 * IPv6 addresses there (peers registering, verifying and connecting over ::1 under --workers:
 * packages/peer/test/connection/dual-stack-loopback.test.ts).
 */
afterEach(killServed);

const network = createNodeNetwork();

const DUAL_STACK_LINE = /dual stack: the rendezvous binds peers' IPv6 addresses \(address tokens in STUN Bindings\) on UDP \[::1\]:(\d+) \(IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4\)\n/;

describe('natkit serve --workers 2 --address6 ::1', () => {
  it.each([
    ['--port 0 (worker ports of their own, IPv4 Allocates redirected)', (): Promise<string[]> => Promise.resolve([])],
    ['a fixed --port (shared by the workers with SO_REUSEPORT where this Node can)', async (): Promise<string[]> => ['--port', String(await freeDualStackLoopbackPort(network))]],
  ])('relays IPv6 in the primary and IPv4 in the workers, and says so at start: %s', async (_mode, port) => {
    const s = await serveWorkers(['--address6', '::1', '--allow-peer', '::1/128', ...(await port())]);
    await s.waitFor(DUAL_STACK_LINE);
    expect(s.output()).not.toMatch(/IPv6 STUN only/);
    const port6 = Number(DUAL_STACK_LINE.exec(s.output())?.[1]);
    expect(s.output()).toMatch(new RegExp(`STUN .* on UDP 127\\.0\\.0\\.1:${s.port}, \\[::1\\]:${port6}\\n`));
    const six = await relayCheck(`[::1]:${port6}`, ['--user', 'alice:pw-alice']);
    expect(six.code, six.out).toBe(0);
    expect(six.out).toMatch(/relayed address +\[::1\]:\d+/);
    expect(six.out).not.toMatch(/redirected/);
    const four = await relayCheck(s.port, ['--user', 'alice:pw-alice']);
    expect(four.code, four.out).toBe(0);
    expect(four.out).toMatch(/relayed address +127\.0\.0\.1:\d+/);
    const exited = new Promise<number | null>((r) => s.child.on('exit', (code) => r(code)));
    s.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const primary = Number(/natkit serve: relay stopped; .*"allocationsCreated":(\d+)/.exec(s.output())?.[1]);
    const workers = [...s.output().matchAll(/worker \d relay stopped; .*"allocationsCreated":(\d+)/g)].map((m) => Number(m[1]));
    expect(primary).toBeGreaterThanOrEqual(1); // the IPv6 relay-check, in the primary
    expect(workers).toHaveLength(2);
    expect(workers.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(1); // the IPv4 one, in a worker
  }, 90_000);
});
