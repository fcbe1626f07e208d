// The relays under test and the echo peer, as child processes on 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SOCKET_BUFFER } from './client.mjs';
import { isRunning, lastLine, start, stop, waitForLine } from './processes.mjs';
import { allocateAttributes, encodeRequest, TurnMethod } from './wire.mjs';

export const HOST = '127.0.0.1';
export const USER = 'bench';
export const PASSWORD = 'bench-secret-1';
export const REALM = 'bench.natkit.test';
const NATKIT_BIN = process.env.NATKIT_BENCH_BIN ?? fileURLToPath(new URL('../../../apps/cli/bin/natkit.js', import.meta.url));
/**
 * NATKIT_BENCH_NODE (bench only): another Node binary, e.g. a newer one with `dgram` reusePort;
 * natkit serve then also runs on it, in columns of its own (the load generator and the echo keep
 * the Node that runs this script). NATKIT_BENCH_NODE_ARGS adds Node flags to every natkit serve
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export const OTHER_NODE = process.env.NATKIT_BENCH_NODE;
export const SERVER_NODE_ARGS = (process.env.NATKIT_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/** The echo peer role (a child): `sockets` UDP sockets that send every datagram back. */
export async function echo([sockets]) {
  const ports = [];
  for (let i = 0; i < Number(sockets); i++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER });
    s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
    s.on('error', () => {});
    await new Promise((resolve) => s.bind(0, HOST, resolve));
    ports.push(s.address().port);
  }
  console.log(JSON.stringify({ ports }));
}

/** A port free right now on 127.0.0.1 for UDP and for TCP (natkit serve and coturn take both). */
export async function freePort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = createSocket('udp4');
    await new Promise((r) => s.bind(0, HOST, r));
    const { port } = s.address();
    const tcp = createServer();
    const tcpFree = await new Promise((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, HOST, () => resolve(true));
    });
    await new Promise((r) => s.close(r));
    if (tcpFree) await new Promise((r) => tcp.close(r));
    if (tcpFree) return port;
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

/** Resolves once something on `port` answers `probe` (any datagram back), while `child` runs. */
async function waitForAnswer(port, probe, ms, child, what) {
  const s = createSocket('udp4');
  s.on('error', () => {});
  await new Promise((r) => s.bind(0, HOST, r));
  try {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && isRunning(child)) {
      const answered = new Promise((resolve) => {
        s.once('message', () => resolve(true));
        setTimeout(() => resolve(false), 150);
      });
      s.send(probe, port, HOST);
      if (await answered) return;
    }
    throw new Error(isRunning(child) ? `no ${what} answer on ${HOST}:${port} within ${ms} ms` : `exited (${child.exitCode ?? child.signalCode}): ${lastLine(child)}`);
  } finally {
    s.close();
  }
}

/** An unauthenticated Allocate: any TURN server answers it (401) without keeping state. */
const waitForTurn = (port, ms, child) => waitForAnswer(port, encodeRequest(TurnMethod.Allocate, allocateAttributes(), undefined).bytes, ms, child, 'TURN');

export function coturnAvailable() {
  try {
    execFileSync('turnserver', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return null;
  } catch {
    return "turnserver not found (Debian package coturn, listed in .ci/run)";
  }
}

/** coturn 4.6.1 as a TURN server on 127.0.0.1 (static user, loopback peers allowed). */
export async function startCoturn(relayPorts, extraArgs) {
  const port = await freePort();
  const pidfile = `/tmp/natkit-bench-turn-${process.pid}-${port}.pid`;
  const child = start('turnserver', [
    '-n', '--no-cli', '--no-tls', '--no-dtls', '--no-tcp-relay',
    '-L', HOST, '-E', HOST, '-p', String(port),
    '--min-port', String(relayPorts.low), '--max-port', String(relayPorts.high),
    '--lt-cred-mech', '--user', `${USER}:${PASSWORD}`, '--realm', REALM, '--allow-loopback-peers',
    '--no-stdout-log', '--log-file', '/dev/null', '--simple-log',
    '--pidfile', pidfile,
    ...extraArgs,
  ], { relay: true });
  child.once('exit', () => rmSync(pidfile, { force: true }));
  try {
    await waitForTurn(port, 10_000, child);
  } catch (e) {
    await stop(child);
    throw e;
  }
  return { child, port };
}

let natkitHelp = '';

/** Why `natkit serve` cannot be benchmarked as a relay here, or null. */
export function natkitUnavailable() {
  if (!existsSync(NATKIT_BIN)) return `${NATKIT_BIN} missing`;
  try {
    natkitHelp = execFileSync(process.execPath, [NATKIT_BIN, 'serve', '--help'], { encoding: 'utf8', timeout: 10_000 });
    if (!natkitHelp.includes('--relay-ports')) return 'natkit serve has no --relay-ports yet (the TURN relay of issue 6 is not in this tree)';
    return null;
  } catch (e) {
    return `natkit serve --help failed: ${e.message.split('\n')[0]}`;
  }
}

/** Quota flags that let one user hold `allocations` (natkit's defaults are 64 per user, as they should be). */
function natkitQuotaArgs(allocations) {
  const n = String(allocations + 100);
  return [...(natkitHelp.includes('--user-quota') ? ['--user-quota', n] : []), ...(natkitHelp.includes('--total-quota') ? ['--total-quota', n] : [])];
}

/**
 * `natkit serve` with the relay flags of issue 6, quotas raised for the allocation test when it has
 * them; NATKIT_BENCH_SERVE_ARGS adds flags (e.g. workers).
 */
export async function startNatkit(relayPorts, allocations, workerArgs = [], node = process.execPath, env = {}) {
  const port = await freePort();
  const extra = [...(process.env.NATKIT_BENCH_SERVE_ARGS ?? '').split(/\s+/).filter(Boolean), ...workerArgs];
  const child = start(node, [
    ...SERVER_NODE_ARGS, NATKIT_BIN, 'serve', '--address', HOST, '--port', String(port),
    '--user', `${USER}:${PASSWORD}`, '--realm', REALM,
    '--relay-ports', `${relayPorts.low}-${relayPorts.high}`, '--relay-address', HOST, '--allow-peer', '127.0.0.0/8',
    ...natkitQuotaArgs(allocations),
    ...extra,
  ], { env: { ...process.env, ...env }, relay: true });
  try {
    await waitForTurn(port, 15_000, child);
    // With workers the main port answers before they serve: wait for the last startup line.
    if (workerArgs.length > 0) await waitForOutput(child, /shared by the \d+ workers/, 15_000);
  } catch (e) {
    await stop(child);
    throw e;
  }
  return { child, port };
}

/**
 * `count` echo peer processes: coturn's turnutils_peer (C, about a third cheaper per datagram
 * than a Node echo here) when installed, else a Node dgram echo. Resolves with their addresses.
 */
export async function startEchoPeers(self, count) {
  const useCoturnPeer = coturnAvailable() === null;
  const peers = [];
  const children = [];
  for (let i = 0; i < count; i++) {
    if (useCoturnPeer) {
      const port = await freePort();
      const child = start('turnutils_peer', ['-L', HOST, '-p', String(port)]);
      children.push(child);
      await waitForAnswer(port, Buffer.alloc(8), 5000, child, 'echo');
      peers.push({ address: HOST, port });
    } else {
      const child = start(process.execPath, [self, 'echo', '1']);
      children.push(child);
      const line = await waitForLine(child, (l) => l.startsWith('{'), 10_000, `echo peer ${i}`);
      peers.push(...JSON.parse(line).ports.map((port) => ({ address: HOST, port })));
    }
  }
  return { children, peers, kind: useCoturnPeer ? 'turnutils_peer' : 'Node dgram echo' };
}

async function waitForOutput(child, re, ms) {
  const deadline = Date.now() + ms;
  while (!re.test(child.output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`natkit serve did not print ${String(re)}: ${child.output.slice(-300)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
