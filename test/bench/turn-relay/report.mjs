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
  const rows = [['server', 'rate RT/s', 'achieved', 'relayed p50 ms', 'p99 ms', 'direct p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms']];
  for (const r of results) {
    const l = r.latency;
    const d = r.direct;
    const added = (a, b) => (a >= 100 ? `>=${fixed(100 - b, 3)}` : fixed(a - b, 3));
    rows.push([r.name, int(l.rate), int(l.achieved), ms(l.p50), ms(l.p99), ms(d.p50), ms(d.p99), added(l.p50, d.p50), added(l.p99, d.p99)]);
  }
  return rows;
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

function ratioLines(results) {
  const natkit = results.find((r) => r.name === 'natkit');
  const one = results.find((r) => r.name === 'coturn -m 1');
  const all = results.find((r) => r.name === 'coturn default');
  if (natkit === undefined || one === undefined) return ['ratios: need both natkit and coturn results'];
  const lines = [];
  for (const [i, payload] of [[0, 100], [1, 1200]]) {
    lines.push(
      `relayed pkt/s at ${payload} B: natkit/coturn -m 1 = ${ratio(natkit.throughput[i].relayedPps, one.throughput[i].relayedPps)}` +
        (all ? `, natkit/coturn default = ${ratio(natkit.throughput[i].relayedPps, all.throughput[i].relayedPps)}` : ''),
    );
  }
  const workers = results.find((r) => r.name.startsWith('natkit --workers'));
  if (workers !== undefined) {
    for (const [i, payload] of [[0, 100], [1, 1200]]) {
      lines.push(
        `relayed pkt/s at ${payload} B: ${workers.name}/natkit = ${ratio(workers.throughput[i].relayedPps, natkit.throughput[i].relayedPps)}` +
          (all ? `, ${workers.name}/coturn default = ${ratio(workers.throughput[i].relayedPps, all.throughput[i].relayedPps)}` : '') +
          ' (the load generator and echo peers share the same cores)',
      );
    }
  }
  lines.push(`CPU-s per million relayed packets (100 B): natkit/coturn -m 1 = ${ratio(natkit.throughput[0].cpuSecondsPerMillion, one.throughput[0].cpuSecondsPerMillion)} (lower is better)`);
  lines.push(`allocations/s: natkit/coturn -m 1 = ${ratio(natkit.allocations?.allocationsPerSecond, one.allocations?.allocationsPerSecond)}`);
  lines.push(`memory per allocation: natkit/coturn -m 1 = ${ratio(natkit.allocations?.bytesPerAllocation, one.allocations?.bytesPerAllocation)} (lower is better)`);
  const goalRate = natkit.throughput[0].relayedPps / one.throughput[0].relayedPps;
  const addedP99 = natkit.latency.p99 - natkit.direct.p99;
  lines.push(`goal >= 0.5x coturn one-thread at 100 B: ${goalRate >= 0.5 ? 'yes' : 'NO'} (${goalRate.toFixed(2)}x)`);
  if (all) lines.push(`goal > coturn default at 100 B: ${natkit.throughput[0].relayedPps > all.throughput[0].relayedPps ? 'yes' : 'NO'}`);
  const p99Verdict = addedP99 < 0 ? 'inconclusive (the direct p99 is above the relayed one: scheduler noise)' : addedP99 < 1 ? 'yes' : 'NO';
  lines.push(`goal added p99 < 1 ms at half load: ${p99Verdict} (${natkit.latency.p99 >= 100 ? '>= 100' : fixed(addedP99, 3)} ms)`);
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
  console.log('\nround-trip time at half of each server\'s 100 B round-trip rate, open loop, 100 B; direct = the same load straight to the echo peers, alternating with the relayed load every 250 ms');
  printTable(latencyRows(results));
  console.log('\nauthenticated allocations (fresh server; Allocate -> 401 -> signed Allocate, one socket each)');
  printTable(allocationRows(results));
  console.log('');
  for (const line of ratioLines(results)) console.log(line);
  console.log('server CPU % is of one core; the machine may be shared: compare CPU-s per million packets first.');
}
