// The measured phases of the relay benchmark, each run by several load generator children.
import { start, stop, treeCpuSeconds, treeRssBytes, waitForLine } from './processes.mjs';
import { HOST, PASSWORD, USER } from './servers.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `count` load generators with `config` (each gets its share of `allocations`), waits for
 * READY, says go, and returns their JSON results. `during(goAt)` runs alongside (CPU sampling).
 */
async function withLoadgens(self, count, config, during = async () => undefined, afterResults = () => undefined) {
  const shares = Array.from({ length: count }, (_, i) => Math.floor(config.allocations / count) + (i < config.allocations % count ? 1 : 0));
  const children = shares.map((allocations, index) =>
    start(process.execPath, [self, 'loadgen', JSON.stringify({ ...config, allocations, index, user: USER, password: PASSWORD, rate: (config.rate ?? 0) / count })]),
  );
  try {
    await Promise.all(children.map((child, i) => waitForLine(child, (l) => l === 'READY', config.setupMs ?? 30_000, `load generator ${i}`)));
    const results = children.map((child, i) => waitForLine(child, (l) => l.startsWith('{'), config.runMs, `load generator ${i}`));
    for (const child of children) child.stdin.write('go\n');
    const [parsed, extra] = await Promise.all([Promise.all(results).then((lines) => lines.map((l) => JSON.parse(l))), during()]);
    const after = afterResults();
    for (const child of children) child.stdin.end('stop\n');
    return { results: parsed, extra, after, loadgenPids: children.map((c) => c.pid) };
  } finally {
    await Promise.all(children.map((child) => stop(child)));
  }
}

/** Samples CPU-seconds of each process tree in `pids` over the measured window (after the warm-up). */
function cpuWindow(pids, warmupMs, seconds) {
  return async () => {
    await sleep(warmupMs);
    const c0 = pids.map(treeCpuSeconds);
    const t0 = performance.now();
    await sleep(seconds * 1000);
    return { cpu: pids.map((pid, i) => treeCpuSeconds(pid) - c0[i]), elapsed: (performance.now() - t0) / 1000 };
  };
}

/**
 * Closed-loop ChannelData through the relay (or, with server null, straight to the echo peers:
 * the harness's own ceiling): relayed packets/s, Mbit/s, server CPU per million packets.
 */
export async function runThroughput(self, o, server, payload) {
  const config = { mode: 'throughput', server: server === null ? undefined : { address: HOST, port: server.port }, peers: o.peers, allocations: o.allocations, payload, window: o.window, seconds: o.seconds, warmupMs: o.warmupMs, runMs: (o.seconds + 10) * 1000 };
  const pids = [...(server === null ? [] : [server.child.pid]), ...o.echoPids];
  const { results, extra } = await withLoadgens(self, o.loadgens, config, cpuWindow(pids, o.warmupMs, o.seconds));
  const roundTrips = sum(results, 'roundTrips');
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const serverCpu = server === null ? NaN : extra.cpu[0];
  const echoCpu = extra.cpu.slice(server === null ? 0 : 1).reduce((a, b) => a + b, 0);
  // Each round trip is two relayed packets: client -> peer and peer -> client.
  const relayedPps = (2 * roundTrips) / elapsed;
  return {
    payload,
    roundTripsPerSecond: roundTrips / elapsed,
    relayedPps,
    mbps: (relayedPps * payload * 8) / 1e6,
    lost: sum(results, 'lost'),
    serverCpuPercent: (100 * serverCpu) / extra.elapsed,
    cpuSecondsPerMillion: serverCpu / ((2 * roundTrips) / 1e6),
    loadgenCpuPercent: (100 * sum(results, 'cpuSeconds')) / elapsed,
    echoCpuPercent: (100 * echoCpu) / extra.elapsed,
  };
}

/**
 * Open loop at `rate` round trips/s through the relay, each paired with the same payload sent at
 * the same moment straight to the echo peer: p50/p99 round-trip times of both, and p50/p99 of
 * the relay's added latency per pair (relayed minus direct).
 */
export async function runLatency(self, o, server, rate) {
  const config = { mode: 'latency', server: { address: HOST, port: server.port }, peers: o.peers, allocations: o.allocations, payload: o.latencyPayload, rate, seconds: o.seconds, warmupMs: o.warmupMs, runMs: (o.seconds + 10) * 1000 };
  const { results } = await withLoadgens(self, o.loadgens, config);
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  const histogramOf = (name) => {
    const histogram = new Map();
    for (const r of results) for (const [us, n] of Object.entries(r.groups[name].histogram)) histogram.set(Number(us), (histogram.get(Number(us)) ?? 0) + n);
    return histogram;
  };
  const of = (name) => {
    const histogram = histogramOf(name);
    const received = results.reduce((n, r) => n + r.groups[name].received, 0);
    return { rate, achieved: received / elapsed, received, p50: percentile(histogram, 0.5), p99: percentile(histogram, 0.99) };
  };
  const added = histogramOf('added');
  const pairs = [...added.values()].reduce((a, b) => a + b, 0);
  if (process.env.NATKIT_BENCH_QUANTILES) {
    const qs = [0.5, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1];
    for (const [name, h] of [['relayed', histogramOf('relayed')], ['direct', histogramOf('direct')], ['added', added]]) {
      process.stderr.write(`${server.label ?? ''} ${name} ${qs.map((q) => `p${q * 100}=${percentile(h, q)}`).join(' ')}\n`);
    }
    // Bursts of pairs with more than 1 ms added (gaps over 20 ms split them): when, how many, how much.
    const all = results.flatMap((r) => r.outliers ?? []).sort((a, b) => a[0] - b[0]);
    let burst;
    const flush = () => burst && process.stderr.write(`  burst ${new Date(burst.t0).toISOString()} +${burst.t1 - burst.t0} ms: ${burst.n} pairs, max ${burst.max / 1000} ms\n`);
    for (const [t, us] of all) {
      if (burst && t - burst.t1 <= 20) Object.assign(burst, { t1: t, n: burst.n + 1, max: Math.max(burst.max, us) });
      else (flush(), (burst = { t0: t, t1: t, n: 1, max: us }));
    }
    flush();
  }
  return { relayed: of('relayed'), direct: of('direct'), added: { pairs, p50: percentile(added, 0.5), p99: percentile(added, 0.99) } };
}

/** `count` fresh authenticated allocations: allocations/s, and the server's RSS growth per allocation. */
export async function runAllocations(self, o, server, count) {
  await sleep(500);
  const rss0 = treeRssBytes(server.child.pid);
  const config = { mode: 'allocate', server: { address: HOST, port: server.port }, allocations: count, window: o.allocationWindow, deadlineMs: 30_000, setupMs: 60_000, runMs: 60_000 };
  const { results, after } = await withLoadgens(self, o.loadgens, config, undefined, () => treeRssBytes(server.child.pid));
  const ok = sum(results, 'ok');
  const failures = {};
  for (const r of results) for (const [k, n] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + n;
  const elapsed = Math.max(...results.map((r) => r.elapsed));
  return { ok, failures, allocationsPerSecond: ok / elapsed, rssBefore: rss0, rssAfter: after, bytesPerAllocation: ok > 0 ? (after - rss0) / ok : NaN };
}

function sum(results, key) {
  return results.reduce((n, r) => n + r[key], 0);
}

/** The `q` quantile of a histogram (Map µs -> count), in ms. */
function percentile(histogram, q) {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  let seen = 0;
  for (const us of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(us);
    if (seen >= q * total) return us / 1000;
  }
  return NaN;
}
