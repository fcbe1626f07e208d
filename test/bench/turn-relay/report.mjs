// Tables and ratios of the relay benchmark.
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
// Round-trip histograms end at 100 ms: a percentile there means "100 ms or more".
const ms = (x) => (Number.isFinite(x) && x >= 100 ? '>=100' : fixed(x, 3));
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

function printTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padStart(widths[c])).join('  '));
}

function throughputRows(results) {
  const rows = [['server', 'threads', 'payload B', 'relayed pkt/s', 'Mbit/s', 'server CPU %', 'CPU-s / M pkts', 'loadgen CPU %', 'echo CPU %', 'lost']];
  for (const r of results) {
    for (const t of r.throughput) {
      rows.push([r.name, r.threads ?? '-', t.payload, int(t.relayedPps), fixed(t.mbps, 0), fixed(t.serverCpuPercent, 0), fixed(t.cpuSecondsPerMillion, 2), fixed(t.loadgenCpuPercent, 0), fixed(t.echoCpuPercent, 0), t.lost]);
    }
  }
  return rows;
}

function latencyRows(results) {
  const rows = [['server', 'rate RT/s', 'achieved', 'relayed p50 ms', 'p99 ms', 'direct p50 ms', 'p99 ms', 'pairs', 'added p50 ms', 'added p99 ms']];
  for (const r of results) {
    const l = r.latency;
    const d = r.direct;
    const a = r.added;
    rows.push([r.name, int(l.rate), int(l.achieved), ms(l.p50), ms(l.p99), ms(d.p50), ms(d.p99), int(a.pairs), ms(a.p50), ms(a.p99)]);
  }
  return rows;
}

/** Issue 6's latency goal for every column, coturn's included (the same machine, the same load generator). */
function latencyGoalLines(results) {
  return results.map((r) => {
    const a = r.added;
    const verdict = !(a.pairs > 0) ? 'no verdict (no pair came back)' : a.p99 < 1 ? 'yes' : 'NO';
    return `goal added p99 < 1 ms at half load (${r.name}, ${int(r.latency.rate)} RT/s): ${verdict} (added p50 ${ms(a.p50)} ms, p99 ${ms(a.p99)} ms, ${int(a.pairs)} pairs)`;
  });
}

function allocationRows(results) {
  const rows = [['server', 'allocations', 'allocations/s', 'RSS before MB', 'RSS after MB', 'bytes/allocation', 'failures']];
  for (const r of results) {
    const a = r.allocations;
    if (a === undefined) {
      rows.push([r.name, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', r.allocationsError ?? 'failed']);
      continue;
    }
    const failures = Object.entries(a.failures).map(([k, n]) => `${k}: ${n}`).join(', ') || '0';
    rows.push([r.name, a.ok, int(a.allocationsPerSecond), fixed(a.rssBefore / 2 ** 20, 1), fixed(a.rssAfter / 2 ** 20, 1), int(a.bytesPerAllocation), failures]);
  }
  return rows;
}

/** Ratio lines of one natkit column (one process or workers) against coturn and its own one-process base. */
function natkitLines(r, one, all, base) {
  const lines = [];
  for (const [i, payload] of [[0, 100], [1, 1200]]) {
    lines.push(
      `relayed pkt/s at ${payload} B: ${r.name}/coturn -m 1 = ${ratio(r.throughput[i].relayedPps, one.throughput[i].relayedPps)}` +
        (all ? `, /coturn default = ${ratio(r.throughput[i].relayedPps, all.throughput[i].relayedPps)}` : '') +
        (base ? `, /${base.name} = ${ratio(r.throughput[i].relayedPps, base.throughput[i].relayedPps)}` : ''),
    );
  }
  lines.push(`CPU-s per million relayed packets (100 B): ${r.name}/coturn -m 1 = ${ratio(r.throughput[0].cpuSecondsPerMillion, one.throughput[0].cpuSecondsPerMillion)} (lower is better)`);
  lines.push(`allocations/s: ${r.name}/coturn -m 1 = ${ratio(r.allocations?.allocationsPerSecond, one.allocations?.allocationsPerSecond)}; memory per allocation: ${ratio(r.allocations?.bytesPerAllocation, one.allocations?.bytesPerAllocation)} (lower is better)`);
  return lines;
}

/** The goals of issue 6 for one natkit column: the 0.5x goal is for one process (one core). */
function goalLines(r, one, all, workers) {
  const lines = [];
  const rate = r.throughput[0].relayedPps;
  if (!workers) lines.push(`goal >= 0.5x coturn one-thread at 100 B (${r.name}): ${rate / one.throughput[0].relayedPps >= 0.5 ? 'yes' : 'NO'} (${(rate / one.throughput[0].relayedPps).toFixed(2)}x)`);
  if (all) lines.push(`goal > coturn default at 100 B (${r.name}): ${rate > all.throughput[0].relayedPps ? 'yes' : 'NO'} (${ratio(rate, all.throughput[0].relayedPps)})`);
  return lines;
}

/** NATKIT_BENCH_UDP=both: each "natkit mmsg" column (batched UDP I/O) against its "natkit dgram" twin. */
function batchLines(natkits) {
  const lines = [];
  for (const r of natkits.filter((n) => n.name.startsWith('natkit mmsg'))) {
    const twin = natkits.find((n) => n.name.replace(/ \(.*\)$/, '') === r.name.replace(/ \(.*\)$/, '').replace('natkit mmsg', 'natkit dgram'));
    if (twin === undefined) continue;
    const pps = [0, 1].map((i) => ratio(r.throughput[i].relayedPps, twin.throughput[i].relayedPps));
    const cpu = [0, 1].map((i) => ratio(r.throughput[i].cpuSecondsPerMillion, twin.throughput[i].cpuSecondsPerMillion));
    lines.push(`batched UDP I/O: ${r.name}/${twin.name}: relayed pkt/s ${pps[0]} (100 B), ${pps[1]} (1200 B); CPU-s per million relayed packets ${cpu[0]} (100 B), ${cpu[1]} (1200 B) (lower is better)`);
  }
  return lines;
}

/** NATKIT_BENCH_OFFLOAD=both: each natkit column with the relay fast path against its "js-relay" twin (fast path off). */
function offloadLines(natkits) {
  const lines = [];
  for (const js of natkits.filter((n) => n.name.includes(' js-relay'))) {
    const r = natkits.find((n) => n.name === js.name.replace(' js-relay', ''));
    if (r === undefined) continue;
    const pps = [0, 1].map((i) => ratio(r.throughput[i].relayedPps, js.throughput[i].relayedPps));
    const cpu = [0, 1].map((i) => `${fixed(r.throughput[i].cpuSecondsPerMillion, 2)} vs ${fixed(js.throughput[i].cpuSecondsPerMillion, 2)} = ${ratio(r.throughput[i].cpuSecondsPerMillion, js.throughput[i].cpuSecondsPerMillion)}`);
    lines.push(`relay fast path: ${r.name}/${js.name}: relayed pkt/s ${pps[0]} (100 B), ${pps[1]} (1200 B); CPU-s per million relayed packets ${cpu[0]} (100 B), ${cpu[1]} (1200 B) (lower is better)`);
  }
  return lines;
}

function ratioLines(results) {
  const one = results.find((r) => r.name === 'coturn -m 1');
  const all = results.find((r) => r.name === 'coturn default');
  const natkits = results.filter((r) => r.name.startsWith('natkit'));
  if (natkits.length === 0 || one === undefined) return ['ratios to coturn: need both natkit and coturn results', ...batchLines(natkits), ...offloadLines(natkits)];
  const lines = [];
  for (const r of natkits) {
    const workers = / --workers \d+/.test(r.name);
    const base = workers ? results.find((b) => b.name === r.base) : undefined;
    lines.push(...natkitLines(r, one, all, base));
    if (workers) lines.push('  (the workers, the load generator and the echo peers share the same two cores)');
  }
  for (const r of natkits) {
    const workers = / --workers \d+/.test(r.name);
    lines.push(...goalLines(r, one, all, workers));
  }
  lines.push(...batchLines(natkits));
  lines.push(...offloadLines(natkits));
  return lines;
}

export function report(results, unavailable, harness) {
  for (const line of unavailable) console.log(line);
  if (results.length === 0 && harness === undefined) return;
  console.log('\nthroughput (relayed packets count both directions: one round trip = 2 relayed packets; "direct" = the harness alone, no relay, counted the same way)');
  printTable(throughputRows(harness === undefined ? results : [harness, ...results]));
  if (results.length === 0) return;
  if (harness !== undefined) {
    const fastest = Math.max(...results.map((r) => r.throughput[0].relayedPps));
    const headroom = harness.throughput[0].relayedPps / fastest;
    console.log(
      `load generator headroom at 100 B: the harness alone moved ${ratio(harness.throughput[0].relayedPps, fastest)} the fastest relay's rate` +
        (headroom < 1.1 ? ' (NOT enough: the harness may be what limits the relays; see loadgen/echo CPU %)' : ''),
    );
  }
  console.log('\nround-trip time at half of each server\'s 100 B round-trip rate, open loop, 100 B; direct = the twin of one relayed packet in 4, sent at the same moment straight to the same echo peer; added = relayed minus direct per pair (its p50/p99)');
  printTable(latencyRows(results));
  console.log('\nauthenticated allocations (fresh server; Allocate -> 401 -> signed Allocate, one socket each)');
  printTable(allocationRows(results));
  console.log('');
  for (const line of [...ratioLines(results), ...latencyGoalLines(results)]) console.log(line);
  console.log('server CPU % is of one core; the machine may be shared: compare CPU-s per million packets first.');
}
