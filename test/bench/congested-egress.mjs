// The congested-egress case of the server benchmark (issue 9): answers are several times larger
// than requests, so a flood of small requests fills a server's uplink first. Two private network
// namespaces joined by a veth; the server's egress is shaped with tbf (8 Mbit/s), requests are
// not. Per server: a 6 s flood of Binding requests from one process, single-shot fresh requests
// every 100 ms from a second process (their answer delay), a fresh request retransmitted as RFC
// 8489 §6.2.1 says as the flood stops, and the server's peak memory growth (VmHWM - VmRSS before).
// Side by side: natkit (send queue bounded, the default), natkit with the bound off (what any plain
// Node dgram server does), the npm `stun` package's server, coturn; the Node servers with the
// socket buffers of `natkit serve` (4 MiB to receive, the system's default to send: a bigger send
// buffer only moves the queue into the kernel, where tbf drops what is over its limit). Traffic stays inside the two
// namespaces (198.51.100.0/24); both are deleted at the end, also on failure; children by pid.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FLOOD = fileURLToPath(new URL('../lab/harness/binding-flood.cjs', import.meta.url));
const SERVER = '198.51.100.1';
const CLIENT = '198.51.100.2';
const PORT = 3478;
const RATE = '8mbit';
const SECONDS = 6;
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p));
const TC = ['/usr/sbin/tc', '/sbin/tc', '/usr/bin/tc'].find((p) => existsSync(p));

/** Why the case cannot run here, or null. */
export function congestedSkipReason() {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tc); run `sudo npm run bench`';
  if (IP === undefined || TC === undefined) return 'needs ip and tc (apt-get install iproute2)';
  return null;
}

function run(argv) {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function memoryKb(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]);
}

function buildNamespaces(prefix) {
  const [s, c] = [`${prefix}s`, `${prefix}c`];
  run([IP, 'netns', 'add', s]);
  run([IP, 'netns', 'add', c]);
  run([IP, '-n', s, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c]);
  for (const [ns, address] of [[s, SERVER], [c, CLIENT]]) {
    run([IP, '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    run([IP, '-n', ns, 'link', 'set', 'eth0', 'up']);
    run([IP, '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  // The server's uplink: what leaves it towards the client (its answers) is shaped.
  run([TC, '-n', s, 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', RATE, 'burst', '16kb', 'latency', '50ms']);
  return { s, c };
}

function removeNamespaces(ns) {
  for (const name of [ns.s, ns.c]) {
    try {
      run([IP, 'netns', 'del', name]);
    } catch {
      // never made, or gone
    }
  }
}

function spawnIn(ns, argv, children) {
  const child = spawn(IP, ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', () => {});
  child.output = () => out;
  return child;
}

async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready within ${ms} ms`);
}

function listening(ns) {
  return run([IP, 'netns', 'exec', ns, 'ss', '-uln']).includes(`${SERVER}:${PORT}`);
}

async function measure(name, argv, ns, children, stop) {
  const server = spawnIn(ns.s, argv, children);
  try {
    await waitFor(() => listening(ns.s) || server.exitCode !== null, 10_000, name);
    if (server.exitCode !== null) throw new Error(`${name} exited with ${server.exitCode}`);
    await new Promise((r) => setTimeout(r, 300));
    const before = memoryKb(server.pid, 'VmRSS');
    const params = JSON.stringify({ server: { address: SERVER, port: PORT }, seconds: SECONDS, burst: 64, sockets: 4, startAt: Date.now() + 1000 });
    const flood = spawnIn(ns.c, [process.execPath, FLOOD, 'flood', params], children);
    const probe = spawnIn(ns.c, [process.execPath, FLOOD, 'probe', params], children);
    await Promise.all([flood, probe].map((p) => new Promise((resolve) => (p.exitCode !== null ? resolve() : p.once('exit', resolve)))));
    const peakGrowthMb = (memoryKb(server.pid, 'VmHWM') - before) / 1024;
    return { name, peakGrowthMb, ...JSON.parse(flood.output()), ...JSON.parse(probe.output()) };
  } finally {
    await stop(server);
  }
}

function print(results) {
  const bounded = results.find((r) => r.name === 'natkit');
  const ms = (v) => (v === null || v === undefined ? 'none' : String(v));
  const rows = [
    ['server', 'requests sent', 'answers got', 'peak RSS +MB', 'RSS vs natkit', 'fresh answered', 'fresh median ms', 'fresh max ms', 'after flood ms'],
    ...results.map((r) => [
      r.name,
      r.sent.toLocaleString('en-US'),
      r.answered.toLocaleString('en-US'),
      r.peakGrowthMb.toFixed(0),
      bounded && bounded.peakGrowthMb > 0 ? `${(r.peakGrowthMb / bounded.peakGrowthMb).toFixed(1)}x` : 'n/a',
      `${r.probesAnswered}/${r.probes}`,
      ms(r.probeMedianMs),
      ms(r.probeMaxMs),
      ms(r.freshAfterMs),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padStart(widths[c])).join('  '));
  console.log(
    "fresh: single-shot requests every 100 ms during the flood (answered count, delays of those answered); after flood: a request sent as the flood stops, " +
      'retransmitted at 0.5 and 1.5 s ("none": no answer within 3 s).',
  );
}

/**
 * Runs the case for each server. `self`: the server benchmark, whose roles start the Node servers;
 * `coturn`: its coturnArgs(port, host), or null without coturn; `stop(child)`: its way of ending a
 * child (SIGTERM, then SIGKILL by pid).
 */
export async function runCongestedEgress({ self, coturn, stop }) {
  console.log(`Congested egress: server uplink shaped to ${RATE} (tbf), requests unshaped; ${SECONDS} s flood per server, private namespaces`);
  const ns = { s: `nkb${process.pid}s`, c: `nkb${process.pid}c` };
  const children = new Set();
  const cleanup = () => {
    for (const child of children) if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    removeNamespaces(ns);
  };
  process.once('exit', cleanup);
  const servers = [
    ['natkit', [process.execPath, self, 'natkit', String(PORT), SERVER, 'default', 'serve-buffers']],
    ['natkit, no bound', [process.execPath, self, 'natkit', String(PORT), SERVER, 'Infinity', 'serve-buffers']],
    ['npm-stun', [process.execPath, self, 'npm-stun', String(PORT), SERVER, 'serve-buffers']],
    ...(coturn ? [['coturn', ['turnserver', ...coturn(PORT, SERVER)]]] : []),
  ];
  const results = [];
  try {
    Object.assign(ns, buildNamespaces(`nkb${process.pid}`));
    for (const [name, argv] of servers) {
      try {
        results.push(await measure(name, argv, ns, children, stop));
      } catch (e) {
        console.error(`congested egress, ${name}: ${e.message}`);
      }
    }
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
  print(results);
}
