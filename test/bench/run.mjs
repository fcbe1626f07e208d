// `npm run bench` (after `tsc -b`): runs every benchmark one after another, streaming its output,
// then prints a summary and exits non-zero if any benchmark failed, timed out or is missing.
//   1. node test/bench/stun-server.bench.mjs    STUN Binding throughput on 127.0.0.1
//   2. node test/bench/vnet.bench.mjs           virtual network datagram throughput
//      node test/bench/turn-multicore.bench.mjs relay over TCP in one process vs two
//   2b. node test/bench/rendezvous.bench.mjs    rendezvous memory per peer, requests brokered/s
//   3. npx vitest run --config test/bench/vitest.bench.config.ts test/bench/diagnose-lab.bench.ts
//                                               diagnosis wall time on real NATs (root only)
//   3b. npx vitest run --config test/bench/vitest.bench.config.ts test/bench/peer-pairs.bench.ts
//                                               natkit listen/ping vs node-datachannel ICE per NAT pair (root only)
//   4. node test/bench/turn-relay.bench.mjs     TURN relay: natkit serve vs coturn (-m 1, default)
//   5. node test/bench/session.bench.mjs        encrypted session seal/open per CPU-second
//   5b. node test/bench/peer-throughput.bench.mjs encrypted direct path (two @natkit/peer peers) vs raw UDP, same sockets
//   5c. npx vitest run --config test/bench/vitest.bench.config.ts test/bench/birthday-lab.bench.ts
//                                               birthday punching on real NATs vs theory (root only)
//   6. TURN_FUZZ_RUNS=1000000 npx vitest run packages/turn/test/server/hostile-clients.test.ts -t fuzz
//                                               the long fuzz of the TURN decoder and request handler
// Each child runs in its own process group with a time budget; past it the group is killed by
// its pid (SIGTERM, then SIGKILL). Ctrl-C stops the running child the same way.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KILL_GRACE_MS = 5000;

/** Why a lab benchmark (namespaces, nftables) cannot run here, or null. */
function labSkipReason() {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the real-NAT lab needs root (network namespaces, nftables); run `sudo npm run bench`';
  return null;
}

const benches = [
  { name: 'stun-server', file: 'test/bench/stun-server.bench.mjs', argv: [process.execPath, 'test/bench/stun-server.bench.mjs'], budgetMs: 300_000 },
  { name: 'vnet', file: 'test/bench/vnet.bench.mjs', argv: [process.execPath, 'test/bench/vnet.bench.mjs'], budgetMs: 180_000 },
  { name: 'turn-multicore', file: 'test/bench/turn-multicore.bench.mjs', argv: [process.execPath, 'test/bench/turn-multicore.bench.mjs'], budgetMs: 180_000 },
  { name: 'rendezvous', file: 'test/bench/rendezvous.bench.mjs', argv: [process.execPath, 'test/bench/rendezvous.bench.mjs'], budgetMs: 540_000 },
  {
    name: 'diagnose-lab',
    file: 'test/bench/diagnose-lab.bench.ts',
    argv: ['npx', 'vitest', 'run', '--config', 'test/bench/vitest.bench.config.ts', 'test/bench/diagnose-lab.bench.ts'],
    budgetMs: 600_000,
    skipReason: labSkipReason,
  },
  {
    name: 'peer-pairs',
    file: 'test/bench/peer-pairs.bench.ts',
    argv: ['npx', 'vitest', 'run', '--config', 'test/bench/vitest.bench.config.ts', 'test/bench/peer-pairs.bench.ts'],
    budgetMs: 960_000,
    skipReason: labSkipReason,
  },
  { name: 'turn-relay', file: 'test/bench/turn-relay.bench.mjs', argv: [process.execPath, 'test/bench/turn-relay.bench.mjs'], budgetMs: 600_000 },
  {
    name: 'turn-fuzz',
    file: 'packages/turn/test/server/hostile-clients.test.ts',
    argv: ['npx', 'vitest', 'run', '--project', 'unit', 'packages/turn/test/server/hostile-clients.test.ts', '-t', 'fuzz', '--testTimeout', '600000'],
    env: { TURN_FUZZ_RUNS: '1000000' },
    budgetMs: 600_000,
  },
  { name: 'session', file: 'test/bench/session.bench.mjs', argv: [process.execPath, 'test/bench/session.bench.mjs'], budgetMs: 120_000 },
  { name: 'peer-throughput', file: 'test/bench/peer-throughput.bench.mjs', argv: [process.execPath, 'test/bench/peer-throughput.bench.mjs'], budgetMs: 300_000 },
  {
    name: 'birthday-lab',
    file: 'test/bench/birthday-lab.bench.ts',
    argv: ['npx', 'vitest', 'run', '--config', 'test/bench/vitest.bench.config.ts', 'test/bench/birthday-lab.bench.ts'],
    budgetMs: 600_000,
    skipReason: labSkipReason,
  },
];

let current = null;

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current?.pid !== undefined) {
      killGroup(current.pid, 'SIGTERM');
      setTimeout(() => killGroup(current.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    }
    console.error(`\n[bench] ${signal}: stopping`);
    process.exitCode = 130;
  });
}

function run(bench) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(bench.argv[0], bench.argv.slice(1), { cwd: ROOT, stdio: 'inherit', detached: true, env: { ...process.env, ...bench.env } });
    current = child;
    let timedOut = false;
    let killTimer;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\n[bench] ${bench.name}: over its ${bench.budgetMs / 1000} s budget, killing process group ${child.pid}`);
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    }, bench.budgetMs);
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      current = null;
      const seconds = (performance.now() - started) / 1000;
      if (error) resolve({ status: 'failed', detail: error.message, seconds });
      else if (timedOut) resolve({ status: 'timed out', detail: `killed after ${bench.budgetMs / 1000} s`, seconds });
      else if (code === 0) resolve({ status: 'ok', detail: 'exit 0', seconds });
      else resolve({ status: 'failed', detail: code === null ? `signal ${signal}` : `exit ${code}`, seconds });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('exit', (code, signal) => finish(code, signal));
  });
}

const results = [];
for (const bench of benches) {
  if (process.exitCode === 130) break;
  console.log(`\n[bench] ===== ${bench.name}: ${bench.argv.slice(bench.argv[0] === process.execPath ? 1 : 0).join(' ')} =====`);
  if (!existsSync(new URL(`../../${bench.file}`, import.meta.url))) {
    console.log(`[bench] ${bench.name}: ${bench.file} is missing`);
    results.push({ name: bench.name, status: 'missing', detail: `${bench.file} not found`, seconds: 0 });
    continue;
  }
  const why = bench.skipReason?.();
  if (why) {
    console.log(`[bench] ${bench.name}: skipped: ${why}`);
    results.push({ name: bench.name, status: 'skipped', detail: why, seconds: 0 });
    continue;
  }
  results.push({ name: bench.name, ...(await run(bench)) });
}

console.log('\n[bench] ===== summary =====');
for (const r of results) console.log(`[bench] ${r.name.padEnd(14)} ${r.status.padEnd(10)} ${r.detail} (${r.seconds.toFixed(1)} s)`);
const bad = results.filter((r) => r.status !== 'ok' && r.status !== 'skipped');
if (bad.length > 0) {
  console.log(`[bench] ${bad.length} of ${benches.length} did not pass: ${bad.map((r) => r.name).join(', ')}`);
  process.exitCode = 1;
} else if (process.exitCode !== 130) {
  const skipped = results.filter((r) => r.status === 'skipped').length;
  console.log(`[bench] ${results.length - skipped} of ${benches.length} ran and passed${skipped > 0 ? `, ${skipped} skipped (see above)` : ''}`);
}
