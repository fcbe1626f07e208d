import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '@natkit/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNatkit as run, spawnNatkit, START_BUDGET_MS, stopNatkit, waitForOutput, type NatkitProcess } from './natkit-process.js';

/** Each test runs natkit (start-up bounded by START_BUDGET_MS) and, beside it, takes at most this long. */
const TEST_MS = START_BUDGET_MS + 10_000;

const children = new Set<NatkitProcess>();
let dir: string;
let server: string;
let listen: NatkitProcess;
let listenPeer: string;

/** Spawns natkit, stopped in afterAll if it still runs. */
function start(args: readonly string[]): NatkitProcess {
  const p = spawnNatkit(args);
  children.add(p);
  void p.exited.then(() => children.delete(p));
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'natkit-peer-cli-'));
  const serve = start(['serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--allow-peer', '127.0.0.0/8']);
  server = `127.0.0.1:${(await waitForOutput(serve, /ws:\/\/127\.0\.0\.1:(\d+)\//))[1]}`;
  listen = start(['listen', '--server', server, '--key', join(dir, 'listen.pem'), '--json']);
  await waitForOutput(listen, /\n/);
  const first = JSON.parse(listen.out().split('\n')[0] ?? '') as { type: string; peer: string };
  expect(first.type).toBe('listening');
  listenPeer = first.peer;
}, 2 * START_BUDGET_MS + 10_000);

afterAll(async () => {
  await Promise.all([...children].map((c) => stopNatkit(c)));
  rmSync(dir, { recursive: true, force: true });
});

describe('natkit listen / ping / pipe over loopback (spawned processes, a real natkit serve)', () => {
  it('listen --json prints its peer id first, with its key file created mode 0600', () => {
    expect(listenPeer).toMatch(/^nk1[a-z2-7]{55}$/);
    expect(statSync(join(dir, 'listen.pem')).mode & 0o777).toBe(0o600);
  });

  it('ping --json: pongs with seq, rttMs and path, then a summary that ends direct', async () => {
    const r = await run(['ping', '--server', server, '--key', join(dir, 'ping.pem'), '--count', '4', '--interval', '200', '--json', listenPeer]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const pongs = lines.filter((l) => l.type === 'pong');
    const summary = lines.at(-1);
    expect(pongs.length).toBeGreaterThanOrEqual(3);
    for (const p of pongs) expect(p).toMatchObject({ seq: expect.any(Number), rttMs: expect.any(Number), path: expect.stringMatching(/^(direct|relay)$/) });
    expect(summary).toMatchObject({ type: 'summary', sent: 4, received: pongs.length, path: 'direct', connectMs: expect.any(Number), directMs: expect.any(Number) });
    expect(summary?.directMs as number).toBeGreaterThanOrEqual(summary?.connectMs as number);
    expect(statSync(join(dir, 'ping.pem')).mode & 0o777).toBe(0o600);
  }, TEST_MS);

  it('pipe sends stdin to the listener, which prints it', async () => {
    const r = await run(['pipe', '--server', server, '--key', join(dir, 'pipe.pem'), listenPeer], 'hello through natkit pipe\n');
    expect(r.code, r.err).toBe(0);
    await waitForOutput(listen, /hello through natkit pipe\n/);
    expect(listen.err()).toMatch(/connection from nk1/);
  }, TEST_MS);

  it('ping to a peer that is not registered fails with exit 6 and says what to do', async () => {
    const r = await run(['ping', '--server', server, '--key', join(dir, 'ping.pem'), '--count', '1', Identity.fromSeed(randomBytes(32)).peerId]);
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/is not registered at 127\.0\.0\.1:\d+: start `natkit listen --server/);
  }, TEST_MS);

  it.each([
    [['ping', '--server', '127.0.0.1:1', 'nk1bad'], /not a peer id/],
    [['ping', 'PEER'], /not a peer id/],
    [['listen'], /--server HOST\[:PORT\] is required/],
    [['ping', '--count', 'x', '--server', '127.0.0.1:1', 'nk17lwk7ou65mr5xqgfbh6ewvhqvw5bqo6xvfqrwgw7lpwjds6pg5yrryq'], /--count takes a whole number/],
    [['listen', '--server', '127.0.0.1:1', '--server6', '127.0.0.1:1'], /--server6 takes an IPv6 address/],
    [['listen', '--server', '[::1]:1', '--server6', '[::1]:1'], /--server6 goes with an IPv4 --server/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const r = await run([...args, ...(args[0] === 'listen' ? ['--key', join(dir, 'x.pem')] : [])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  }, TEST_MS);

  it('a server that is not there: exit 1 and a hint', async () => {
    const r = await run(['listen', '--server', '127.0.0.1:1', '--key', join(dir, 'y.pem')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot register at the rendezvous ws:\/\/127\.0\.0\.1:1\/rendezvous.*Is `natkit serve` running/);
  }, TEST_MS);
});
