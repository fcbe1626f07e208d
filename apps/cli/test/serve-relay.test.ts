import { channelForwardingStatus } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { spawnNatkit, START_BUDGET_MS, stopNatkit, waitForOutput } from './natkit-process.js';

/** A test with one `serve` (start-up bounded by START_BUDGET_MS) takes at most this long. */
const TEST_MS = START_BUDGET_MS + 10_000;

/** Runs `natkit serve ARGS` until its startup output is complete (or it exits), then SIGTERM. */
async function serve(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const p = spawnNatkit(['serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...args], { env });
  const failed = await waitForOutput(p, /relay off|relay fast path/).then(() => undefined, (e: Error) => e);
  const running = p.child.exitCode === null && p.child.signalCode === null;
  const code = await stopNatkit(p);
  if (failed !== undefined && running) throw failed; // not started within the bound (it has been stopped)
  return { code, out: p.out(), err: p.err() };
}

describe('natkit serve: the TURN relay flags', () => {
  it('with no credentials: the relay runs on the STUN port and says it accepts only self-issued credentials', async () => {
    const r = await serve(['--relay-ports', '40000-40099']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/TURN relay \(RFC 8656\) on UDP 127\.0\.0\.1:(\d+), realm 'natkit'/);
    expect(r.out).toMatch(/relay ports 40000-40099/);
    expect(r.out).toMatch(/only credentials this server issues itself/);
    expect(r.out).toMatch(/relay stopped; \{"allocations":0/);
  }, TEST_MS);

  it('lists static users and REST secrets without printing either secret', async () => {
    const r = await serve(['--user', 'alice:hunter22', '--auth-secret', 's3cr3t-value', '--auth-secret', 'other-s3cr3t', '--realm', 'example.org', '--allow-peer', '127.0.0.0/8', '--deny-peer', '127.0.0.9/32']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/long-term credentials \(1 user\(s\)\); TURN REST ephemeral credentials \(2 secret\(s\)\)/);
    expect(r.out).toMatch(/opened by --allow-peer: 127\.0\.0\.0\/8; closed by --deny-peer: 127\.0\.0\.9\/32/);
    for (const secret of ['hunter22', 's3cr3t-value', 'other-s3cr3t']) expect(r.out + r.err).not.toContain(secret);
  }, TEST_MS);

  it('with --user only: static users and, for its rendezvous peers, credentials from a secret it generates', async () => {
    const r = await serve(['--user', 'alice:hunter22']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/relay auth: long-term credentials \(1 user\(s\)\); credentials this server issues itself \(to its rendezvous peers\), from a secret generated at start; MESSAGE-INTEGRITY-SHA256 and USERHASH offered/);
    expect(r.out + r.err).not.toContain('hunter22');
  }, TEST_MS);

  it('says whether the relay fast path is on (with --max-bps too), and why not when it is off', async () => {
    const on = await serve([]);
    expect(on.code).toBe(0);
    const available = channelForwardingStatus().available;
    expect(on.out).toMatch(available ? /relay fast path on: ChannelData of bound channels over UDP/ : /relay fast path off \(no batched UDP I\/O/);
    // Through bin/natkit.js, which puts V8's memory reducer off (launcher.test.ts has the other case).
    if (available) expect(on.out).toMatch(/relay fast path on: .*; V8's memory reducer off\n/);
    const quota = await serve(['--max-bps', '100000']);
    expect(quota.out).toMatch(available ? /relay fast path on: .*--max-bps: one bucket per allocation and direction/ : /relay fast path off/);
    const switchedOff = await serve([], { NATKIT_RELAY_OFFLOAD: '0' });
    expect(switchedOff.out).toMatch(available ? /relay fast path off \(switched off \(NATKIT_RELAY_OFFLOAD=0\)\)/ : /relay fast path off/);
    expect(switchedOff.out).toMatch(/relay stopped; .*"fastPath":\{"packetsToPeers":0/);
  }, 3 * TEST_MS);

  it('--no-relay serves STUN only', async () => {
    const r = await serve(['--no-relay']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/TURN relay off/);
    expect(r.out).not.toMatch(/TURN relay \(RFC 8656\)/);
  }, TEST_MS);

  it.each([
    [['--relay-ports', '6000-5000'], /--relay-ports takes LOW-HIGH/],
    [['--user', 'nocolon'], /--user takes NAME:PASSWORD/],
    [['--allow-peer', '10.0.0.0/33'], /--allow-peer takes a CIDR/],
    [['--relay-address', 'example.com'], /--relay-address takes an IP address literal/],
    [['--user-quota', '0'], /--user-quota takes a whole number of at least 1/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await serve(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  }, TEST_MS);
});
