// Benchmark: the TURN relay (issue 6, "Benchmark"): natkit serve side by side with coturn 4.6.1
// (once with --relay-threads 1, once with its default), the same load generator for all.
// The load generator speaks TURN itself over plain dgram sockets, in several child processes:
// Allocate with long-term auth, CreatePermission, ChannelBind, then ChannelData in a closed loop
// to an echo peer (another child). Per server it measures:
//   - relayed packets/s and Mbit/s at 100 and 1200-byte payloads (8 allocations, closed loop);
//   - server CPU-seconds per million relayed packets (/proc/PID/stat, the process and its children);
//   - round-trip time p50/p99 at half that load (open loop), one packet in 4 paired with the same
//     payload sent at the same moment straight to the echo peer: the relay's added latency is
//     relayed minus direct per pair, whose p50/p99 give the verdict (every column, coturn too);
//   - allocations/s with authentication and resident memory per allocation at 10,000 allocations
//     (a fresh server; each allocation is Allocate -> 401 -> signed Allocate from its own socket).
// `natkit serve` runs with the flags issue 6 fixes; when this tree's natkit has no relay yet, its
// column reads "natkit: not available (reason)". Run after `npx tsc -b`:
//   node test/bench/turn-relay.bench.mjs [seconds=3] [rounds=3]
// NATKIT_BENCH_SERVE_ARGS adds flags to natkit serve (e.g. a worker count); NATKIT_BENCH_BIN runs
// another tree's natkit CLI; NATKIT_BENCH_ALLOCATIONS and NATKIT_BENCH_LOADGENS change those counts;
// NATKIT_BENCH_ONLY=natkit leaves the coturn columns out (quick before/after runs of natkit alone).
// NATKIT_BENCH_UDP=both runs natkit with batched UDP I/O ("natkit mmsg") and on node:dgram ("natkit dgram").
// NATKIT_BENCH_OFFLOAD=both adds the first natkit column with the relay fast path off ("... js-relay").
// NATKIT_BENCH_LATENCY_RATE=N measures every column's latency at N round trips/s (the same offered load).
// NATKIT_BENCH_PIN=1 gives each relay the last CPU alone and the harness the others (taskset).
// Only 127.0.0.1 is used (relay ports 20000-31999, below Linux's ephemeral range); every child
// is killed by pid; a watchdog bounds the whole run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runRoleOrMain } from './child-role.mjs';
import { loadgen } from './turn-relay/loadgen.mjs';
import { runAllocations, runLatency, runThroughput } from './turn-relay/phases.mjs';
import { killAll, pinHarness, pinning, stop } from './turn-relay/processes.mjs';
import { report } from './turn-relay/report.mjs';
import { coturnAvailable, echo, natkitUnavailable, OTHER_NODE, SERVER_NODE_ARGS, startCoturn, startEchoPeers, startNatkit } from './turn-relay/servers.mjs';

const SELF = fileURLToPath(import.meta.url);
const RELAY_PORTS = { low: 20000, high: 31999 };
/** The whole run's bound: 540 s for the four default columns, more per extra column and round. */
const watchdogSeconds = (columns, rounds) => Math.max(540, 40 * columns * rounds + 120);

async function measureColumn(column, o) {
  const out = { name: column.name };
  let server = await column.start();
  server.label = column.name;
  try {
    out.threads = threadsOf(server.child.pid);
    // How natkit's workers split UDP (startup line): one port shared (SO_REUSEPORT) or 300 redirects.
    const udpMode = /SO_REUSEPORT/.test(server.child.output) ? 'reuseport' : /ALTERNATE-SERVER/.test(server.child.output) ? '300' : undefined;
    if (udpMode !== undefined) out.udpMode = udpMode;
    out.throughput = [];
    for (const payload of [100, 1200]) out.throughput.push(await runThroughput(SELF, o, server, payload));
    // NATKIT_BENCH_LATENCY_RATE: one open-loop rate (round trips/s) for every column instead of half of each one's own maximum.
    const fixedRate = Number(process.env.NATKIT_BENCH_LATENCY_RATE ?? 0);
    const half = fixedRate > 0 ? fixedRate : Math.max(1000, Math.round(out.throughput[0].roundTripsPerSecond / 2));
    const rtt = await runLatency(SELF, o, server, half);
    out.latency = rtt.relayed;
    out.direct = rtt.direct;
    out.added = rtt.added;
  } finally {
    await stop(server.child);
  }
  try {
    server = await column.start();
    try {
      out.allocations = await runAllocations(SELF, o, server, o.holdAllocations);
    } finally {
      await stop(server.child);
    }
  } catch (e) {
    out.allocationsError = e.message;
  }
  return out;
}

const nodeVersion = (node) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');

/** Node >= 22.12 / 23.1: dgram's reusePort (natkit serve probes it the same way at start). */
function hasReusePort(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

function threadsOf(pid) {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return NaN;
  }
}

/** The median of each number across rounds (objects and arrays field by field). */
function medianOf(values) {
  const first = values[0];
  if (typeof first === 'number') {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
  }
  if (Array.isArray(first)) return first.map((_, i) => medianOf(values.map((v) => v[i])));
  if (first !== null && typeof first === 'object') {
    const keys = [...new Set(values.flatMap((v) => Object.keys(v)))];
    return Object.fromEntries(keys.map((k) => [k, medianOf(values.map((v) => v[k] ?? 0))]));
  }
  return first;
}

function columnsHere(o) {
  const columns = [];
  const unavailable = [];
  const coturnWhy = coturnAvailable();
  if (process.env.NATKIT_BENCH_ONLY === 'natkit') {
    unavailable.push('coturn: left out (NATKIT_BENCH_ONLY=natkit)');
  } else if (coturnWhy === null) {
    columns.push({ name: 'coturn -m 1', start: () => startCoturn(RELAY_PORTS, ['--relay-threads', '1']) });
    columns.push({ name: 'coturn default', start: () => startCoturn(RELAY_PORTS, []) });
  } else {
    unavailable.push(`coturn: not available (${coturnWhy})`);
  }
  const natkitWhy = natkitUnavailable();
  if (natkitWhy === null) {
    // natkit on this Node, then (NATKIT_BENCH_NODE) on another one: "natkit node24.1.0".
    const nodes = [{ label: 'natkit', node: process.execPath, env: {}, batched: undefined }];
    // NATKIT_BENCH_UDP=both: natkit once with its batched UDP I/O (recvmmsg/sendmmsg addon) and once
    // on node:dgram (NATKIT_UDP_BATCH=0), side by side in the same run.
    if (process.env.NATKIT_BENCH_UDP === 'both') {
      nodes[0] = { label: 'natkit mmsg', node: process.execPath, env: { NATKIT_UDP_BATCH: '1' }, batched: true };
      nodes.push({ label: 'natkit dgram', node: process.execPath, env: { NATKIT_UDP_BATCH: '0' }, batched: false });
    }
    // NATKIT_BENCH_OFFLOAD=both: the first column once more with the addon's ChannelData fast path off
    // (NATKIT_RELAY_OFFLOAD=0: every relayed packet through JS), "... js-relay", in the same run.
    if (process.env.NATKIT_BENCH_OFFLOAD === 'both') {
      const first = nodes[0];
      nodes[0] = { ...first, env: { ...first.env, NATKIT_RELAY_OFFLOAD: '1' } };
      nodes.splice(1, 0, { ...first, label: `${first.label} js-relay`, env: { ...first.env, NATKIT_RELAY_OFFLOAD: '0' } });
    }
    if (OTHER_NODE !== undefined) nodes.push({ label: `natkit node${nodeVersion(OTHER_NODE)}`, node: OTHER_NODE, env: {}, batched: undefined });
    for (const { label, node, env, batched } of nodes) {
      columns.push({ name: label, start: () => startNatkit(RELAY_PORTS, o.holdAllocations, [], node, env) });
      // A "natkit --workers 2" column: natkit serve with two relay worker processes, sharing the UDP
      // port (SO_REUSEPORT) where that Node can, else the load generator follows the 300
      // ALTERNATE-SERVER redirects to the workers' ports (ephemeral: --worker-port 0, which would
      // also turn SO_REUSEPORT off); NATKIT_BENCH_WORKERS=1 leaves it out.
      // (The batched-I/O addon sets SO_REUSEPORT itself, on any Node.)
      const workerArgs = ['--workers', String(o.workers), ...(batched === true || hasReusePort(nodeVersion(node)) ? [] : ['--worker-port', '0'])];
      if (o.workers > 1) columns.push({ name: `${label} --workers ${o.workers}`, start: () => startNatkit(RELAY_PORTS, o.holdAllocations, workerArgs, node, env) });
    }
  } else unavailable.push(`natkit: not available (${natkitWhy})`);
  return { columns, unavailable };
}

async function main(argv) {
  const o = {
    seconds: Number(argv[0] ?? 3),
    rounds: Number(argv[1] ?? 3),
    warmupMs: 500,
    allocations: 8,
    window: Number(process.env.NATKIT_BENCH_WINDOW ?? 16),
    loadgens: Number(process.env.NATKIT_BENCH_LOADGENS ?? 2),
    echoPeers: 2,
    latencyPayload: 100,
    allocationWindow: 32,
    holdAllocations: Number(process.env.NATKIT_BENCH_ALLOCATIONS ?? 10_000),
    workers: Number(process.env.NATKIT_BENCH_WORKERS ?? 2),
  };
  const { columns, unavailable } = columnsHere(o);
  const watchdogS = watchdogSeconds(columns.length, o.rounds);
  const watchdog = setTimeout(() => {
    console.error(`watchdog: the relay benchmark took over ${watchdogS} s, killing its children`);
    killAll();
    process.exit(1);
  }, watchdogS * 1000);
  pinHarness();
  const echoPeers = await startEchoPeers(SELF, o.echoPeers);
  if (pinning !== undefined) console.log(`NATKIT_BENCH_PIN=1: each relay on CPU ${pinning.relay} alone, the load generators and echo peers on CPU ${pinning.harness} (multi-core columns get one core too)`);
  console.log(
    `TURN relay on 127.0.0.1: ${o.allocations} allocations (ChannelData, closed loop, window ${o.window} each) from ${o.loadgens} load generator processes ` +
      `to ${o.echoPeers} echo peers (${echoPeers.kind}); ${o.seconds} s after ${o.warmupMs} ms warm-up; ${o.holdAllocations} allocations for memory; ` +
      `${o.rounds} round(s) in rotating order, median shown; ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at start`,
  );
  console.log(`natkit serve runs as \`npx natkit serve\` runs it: node ${[...SERVER_NODE_ARGS, ''].join(' ')}apps/cli/bin/natkit.js serve ... (the launcher puts V8's memory reducer off)`);
  o.peers = echoPeers.peers;
  o.echoPids = echoPeers.children.map((child) => child.pid);
  const all = new Map(columns.map((c) => [c.name, []]));
  const harness = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      // The harness alone (load generators <-> echo peers, no relay): its ceiling on this machine.
      harness.push({ name: 'direct (no relay)', throughput: [await runThroughput(SELF, o, null, 100), await runThroughput(SELF, o, null, 1200)] });
      const live = columns.filter((c) => !c.failed);
      for (const column of live.map((_, i) => live[(i + round) % live.length])) {
        try {
          all.get(column.name).push(await measureColumn(column, o));
        } catch (e) {
          column.failed = true;
          unavailable.push(`${column.name}: not available (${e.message})`);
        }
      }
    }
  } finally {
    await Promise.all(echoPeers.children.map((child) => stop(child)));
    clearTimeout(watchdog);
  }
  const results = columns
    .filter((c) => all.get(c.name).length > 0 && !c.failed)
    .map((c) => {
      const r = medianOf(all.get(c.name));
      return { ...r, name: r.udpMode === undefined ? c.name : `${c.name} (${r.udpMode})`, base: c.name.replace(/ --workers \d+$/, '') };
    });
  report(results, unavailable, harness.length > 0 ? medianOf(harness) : undefined);
  console.log(`load average ${loadavg()[0].toFixed(1)} at the end (other work on the machine shares these CPUs)`);
}

await runRoleOrMain({ loadgen, echo }, async (argv) => {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  await main(argv);
});
