/**
 * Benchmark (issue 7): per NAT pair class on real Linux NATs (test/lab), natkit's time to the first
 * authenticated datagram and to a direct path, side by side with node-datachannel ICE (libjuice)
 * on the same two hosts, through the same `natkit serve` (STUN and TURN).
 *
 * One lab, two sites of each of five NATs (full cone, restricted cone, port-restricted cone,
 * symmetric random, symmetric sequential step 1): the 15 unordered pairs of classes. In `inet`:
 * `natkit serve --address 203.0.113.1 --alternate-address 203.0.113.2 --port 3478 --allow-peer
 * 203.0.113.0/24 --auth-secret S`, and a line-based TCP signaling relay for the ICE peers
 * (peer-pairs-ice.mjs). Per pair, RUNS times, alternating:
 *   - natkit: `natkit listen --json` on the second host (one listener per pair, or per run with
 *     NATKIT_PEER_PAIRS_FRESH_LISTENER=1), `natkit ping
 *     --json --count C --interval I` from the first; the summary's `connectMs` (first pong, from
 *     the start of the connection attempt), `directMs` (first pong over a direct path, or null),
 *     the final path and the strategy;
 *   - ICE: two node-datachannel peers, a fresh process each in its host, iceServers = natkit
 *     serve's STUN and TURN (REST credentials from the auth secret, a user per peer and run, object form); the offerer's time
 *     from creating its PeerConnection (once both peers are at the signaling relay) to the data
 *     channel's onOpen, and the selected candidate pair's types (relay if either side is relay).
 * Then STUN_RUNS runs of the same ICE peers with STUN only (no TURN): the research note's baseline
 * (direct in 10 of 15 classes), a failure after ICE_STUN_TIMEOUT_MS counted as such.
 * Process start-up is outside both measurements; signaling goes through a TCP hop in `inet` for
 * both (the rendezvous WebSocket for natkit, the relay for ICE).
 *
 * Run as root after `npx tsc -b`:
 *   npx vitest run --config test/bench/vitest.bench.config.ts test/bench/peer-pairs.bench.ts
 * NATKIT_PEER_PAIRS_RUNS (default 10) sets the runs per pair, NATKIT_PEER_PAIRS_STUN_RUNS (default 2)
 * the STUN-only ICE runs; NATKIT_PEER_PAIRS_PING="count,interval"
 * the ping (default 40,25: 1 s of pings, so a direct path found within about 1 s is seen);
 * A pair whose first natkit run reports the birthday strategy (about 11.5 s per attempt) is measured
 * again from scratch with NATKIT_PEER_PAIRS_SLOW_PING (default 70,200: 14 s) in
 * NATKIT_PEER_PAIRS_SLOW_RUNS (default 3) natkit runs.
 * NATKIT_PEER_PAIRS_ONLY="FC-PRC,SS-SS" limits the pairs (class keys FC, RC, PRC, SR, SS).
 * Fails when the lab or node-datachannel cannot run here. Bounded: every process has a timeout,
 * past DEADLINE_MS the measurement stops, prints what it has, and fails.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restCredentials } from '@natkit/turn';
import { checkPrerequisites, createLab, NATKIT_BIN as NATKIT, type Lab, type LabProcess, type NatBehavior } from '../lab/harness/index.js';
import { formatReport, type IceRun, type NatkitRun, type PairResult } from './peer-pairs-report.js';

const RUNS = positiveInt(process.env.NATKIT_PEER_PAIRS_RUNS, 10);
const [PING_COUNT, PING_INTERVAL] = (process.env.NATKIT_PEER_PAIRS_PING ?? '40,25').split(',').map((x) => positiveInt(x, 0));
/** Ping for pairs whose strategy is birthday (an attempt takes ~11.5 s by design): count, interval. */
const [SLOW_COUNT, SLOW_INTERVAL] = (process.env.NATKIT_PEER_PAIRS_SLOW_PING ?? '70,200').split(',').map((x) => positiveInt(x, 0));
/** natkit runs of such a pair (each takes SLOW_COUNT x SLOW_INTERVAL). */
const SLOW_RUNS = Math.min(RUNS, positiveInt(process.env.NATKIT_PEER_PAIRS_SLOW_RUNS, 3));
const SLOW_STRATEGIES: readonly string[] = ['birthday'];
/** NATKIT_PEER_PAIRS_FRESH_LISTENER=1: a new `natkit listen` before every natkit run (else one per pair). */
const FRESH_LISTENER = process.env.NATKIT_PEER_PAIRS_FRESH_LISTENER === '1';
const DEADLINE_MS = 840_000;
/** STUN-only ICE runs per pair (they cost ICE_STUN_TIMEOUT_MS each where ICE cannot connect). */
const STUN_RUNS = Math.min(RUNS, positiveInt(process.env.NATKIT_PEER_PAIRS_STUN_RUNS, 2));
const ICE_TIMEOUT_MS = 8_000;
/** libjuice without TURN never reports failure on the pairs it cannot punch (stays checking). */
const ICE_STUN_TIMEOUT_MS = 4_000;
const PORT = 3478;
const SIGNAL_PORT = 3600;
const ICE_SCRIPT = resolve(import.meta.dirname, 'peer-pairs-ice.mjs');

const classes = {
  FC: { label: 'full cone', behavior: 'full-cone', eim: true },
  RC: { label: 'restricted', behavior: 'restricted-cone', eim: true },
  PRC: { label: 'port-restr.', behavior: 'port-restricted-cone', eim: true },
  SR: { label: 'sym. random', behavior: 'symmetric-random', eim: false },
  SS: { label: 'sym. seq.', behavior: 'symmetric-sequential-1', eim: false },
} satisfies Record<string, { label: string; behavior: NatBehavior; eim: boolean }>;
type ClassKey = keyof typeof classes;
const classKeys = Object.keys(classes) as ClassKey[];
/** Two sites per class ("FC1", "FC2"), so that a class can meet itself. */
const siteKeys = classKeys.flatMap((k) => [`${k}1`, `${k}2`]);

interface Pair {
  readonly a: ClassKey;
  readonly b: ClassKey;
}
/** NATKIT_PEER_PAIRS_ONLY="FC-PRC,SS-SS" measures only those pairs (for a quick look). */
const only = process.env.NATKIT_PEER_PAIRS_ONLY?.split(',').map((x) => x.trim());
const pairs: Pair[] = classKeys.flatMap((a, i) => classKeys.slice(i).map((b) => ({ a, b }))).filter((p) => only === undefined || only.includes(`${p.a}-${p.b}`));
/** Direct is possible with an endpoint-independent side, and sequential<->sequential (prediction). */
const punchable = (p: Pair): boolean => classes[p.a].eim || classes[p.b].eim || (p.a === 'SS' && p.b === 'SS');

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

const tail = (text: string): string => text.trim().split('\n').slice(-3).join(' / ').slice(0, 400);

describe('peer pairs on real NATs: natkit listen/ping vs node-datachannel ICE', () => {
  let lab: Lab | undefined;
  let dir = '';
  /** iceServers for one ICE peer: STUN only, or STUN and TURN with credentials of its own. */
  let iceServersFor: (user: string | null) => string = () => '[]';
  const started = Date.now();

  beforeAll(async () => {
    const capability = checkPrerequisites({ root: true, netns: true, tools: ['ip', 'nft', 'sysctl', 'ss'], nativeModules: ['node-datachannel'] });
    if (!capability.ok) throw new Error(`the lab cannot run here: ${capability.reason}`);
    if (!PING_COUNT || !PING_INTERVAL || !SLOW_COUNT || !SLOW_INTERVAL) throw new Error('NATKIT_PEER_PAIRS_PING and _SLOW_PING must be "count,interval" (whole numbers)');
    lab = await createLab({ sites: Object.fromEntries(siteKeys.map((s) => [s, { behavior: classes[s.slice(0, -1) as ClassKey].behavior }])) });
    dir = await mkdtemp(join(tmpdir(), 'natkit-peer-pairs-'));
    const secret = randomBytes(18).toString('base64url');
    const [primary, alternate] = lab.serverAddresses;
    const serve = await lab.spawn(lab.ns.inet, [
      process.execPath, NATKIT, 'serve', '--address', primary!, '--alternate-address', alternate!, '--port', String(PORT),
      '--allow-peer', '203.0.113.0/24', '--auth-secret', secret,
    ]);
    await serve.waitForOutput(/rendezvous \(WebSocket/, 15_000);
    const relay = await lab.spawn(lab.ns.inet, [process.execPath, ICE_SCRIPT, 'signal', primary!, String(SIGNAL_PORT)]);
    await relay.waitForOutput(/signal relay on/, 10_000);
    // A user per peer and run: allocations of exited peers live on (10 min) and count against
    // natkit serve's per-user quota (64), as a real deployment's would per user.
    iceServersFor = (user) => {
      if (user === null) return JSON.stringify([`stun:${primary}:${PORT}`]);
      const c = restCredentials({ secret, user, nowSeconds: Date.now() / 1000, ttlSeconds: 3600 });
      return JSON.stringify([`stun:${primary}:${PORT}`, { hostname: primary, port: PORT, username: c.username, password: c.password, relayType: 'TurnUdp' }]);
    };
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function listen(site: string): Promise<{ process: LabProcess; peer: string }> {
    const p = await lab!.spawn(lab!.hosts[site]!.ns, [process.execPath, NATKIT, 'listen', '--server', `${lab!.serverAddresses[0]}:${PORT}`, '--key', join(dir, `${site}.pem`), '--json']);
    await p.waitForOutput(/"type":"listening"/, 15_000);
    const line = jsonLines(p.stdout).find((o) => o.type === 'listening');
    return { process: p, peer: String(line?.peer) };
  }

  async function natkitRun(site: string, peer: string, [count, interval]: readonly [number, number]): Promise<NatkitRun> {
    const argv = [process.execPath, NATKIT, 'ping', '--server', `${lab!.serverAddresses[0]}:${PORT}`, '--key', join(dir, `${site}.pem`),
      '--count', String(count), '--interval', String(interval), '--json', peer];
    const r = await lab!.exec(lab!.hosts[site]!.ns, argv, { timeoutMs: 30_000 + count * interval });
    const s = jsonLines(r.stdout).find((o) => o.type === 'summary');
    if (s === undefined) return { connectMs: null, directMs: null, path: 'failed', strategy: null, problem: `ping exit ${r.code ?? r.signal}: ${tail(r.stderr || r.stdout)}` };
    const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
    return {
      connectMs: num(s.connectMs),
      directMs: num(s.directMs),
      path: s.path === 'direct' ? 'direct' : 'relay',
      strategy: typeof s.strategy === 'string' ? s.strategy : null,
      problem: s.received === 0 ? 'no pong came back' : null,
    };
  }

  async function iceRun(siteA: string, siteB: string, session: string, turn: boolean, timeoutMs: number): Promise<IceRun> {
    const where = `${lab!.serverAddresses[0]}:${SIGNAL_PORT}`;
    const run = (site: string, role: string) => {
      const servers = iceServersFor(turn ? `${session}-${role}` : null);
      return lab!.exec(lab!.hosts[site]!.ns, [process.execPath, ICE_SCRIPT, 'peer', role, where, session, servers, String(timeoutMs)], { timeoutMs: timeoutMs + 10_000 });
    };
    const [offerer, answerer] = await Promise.all([run(siteA, 'offerer'), run(siteB, 'answerer')]);
    const result = jsonLines(offerer.stdout).find((o) => o.type === 'result');
    if (result?.ok !== true || typeof result.openMs !== 'number') {
      const why = typeof result?.error === 'string' ? result.error : `offerer exit ${offerer.code ?? offerer.signal}: ${tail(offerer.stderr || offerer.stdout)}`;
      const other = result === undefined ? `; answerer exit ${answerer.code ?? answerer.signal}: ${tail(answerer.stderr || answerer.stdout)}` : '';
      return { openMs: null, path: 'failed', types: '-', problem: `${why}${other}` };
    }
    const types = `${String(result.local)}/${String(result.remote)}`;
    return { openMs: result.openMs, path: types.includes('relay') ? 'relay' : 'direct', types, problem: null };
  }

  const spent = { listen: 0, natkit: 0, ice: 0 };
  async function timed<T>(what: keyof typeof spent, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      spent[what] += performance.now() - t;
    }
  }

  interface PairRuns {
    natkit: NatkitRun[];
    ice: IceRun[];
    iceStun: IceRun[];
    slow: boolean;
    /** Set when the deadline stopped the runs. */
    stopped: string | null;
  }

  /** RUNS natkit and ICE runs, alternating; a birthday pair gets SLOW_RUNS natkit runs with the long ping. */
  async function measurePair(pair: Pair, siteA: string, siteB: string): Promise<PairRuns> {
    let listener = await timed('listen', () => listen(siteB));
    let used = false;
    try {
      return await measurePairWith(pair, siteA, siteB, async (window) => {
        if (FRESH_LISTENER && used) {
          await timed('listen', () => listener.process.stop({ graceMs: 2000 }));
          listener = await timed('listen', () => listen(siteB));
        }
        used = true;
        return natkitRun(siteA, listener.peer, window);
      });
    } finally {
      await timed('listen', () => listener.process.stop({ graceMs: 2000 }));
    }
  }

  async function measurePairWith(pair: Pair, siteA: string, siteB: string, ping: (window: readonly [number, number]) => Promise<NatkitRun>): Promise<PairRuns> {
    const out: PairRuns = { natkit: [], ice: [], iceStun: [], slow: false, stopped: null };
    const first = await timed('natkit', () => ping([PING_COUNT!, PING_INTERVAL!]));
    // A strategy that needs longer than the short ping: this pair is measured with the long one.
    out.slow = first.strategy !== null && SLOW_STRATEGIES.includes(first.strategy);
    if (!out.slow) out.natkit.push(first);
    const natkitRuns = out.slow ? SLOW_RUNS : RUNS;
    const window: [number, number] = out.slow ? [SLOW_COUNT!, SLOW_INTERVAL!] : [PING_COUNT!, PING_INTERVAL!];
    for (let i = 0; i < RUNS; i++) {
      if (Date.now() - started > DEADLINE_MS) {
        out.stopped = `benchmark over its ${DEADLINE_MS / 1000} s budget at ${pair.a}-${pair.b} run ${i + 1}: the report above is partial`;
        break;
      }
      if (out.natkit.length < natkitRuns) out.natkit.push(await timed('natkit', () => ping(window)));
      out.ice.push(await timed('ice', () => iceRun(siteA, siteB, `${pair.a}-${pair.b}-${i}`, true, ICE_TIMEOUT_MS)));
      if (i < STUN_RUNS) out.iceStun.push(await timed('ice', () => iceRun(siteA, siteB, `${pair.a}-${pair.b}-${i}-stun`, false, ICE_STUN_TIMEOUT_MS)));
    }
    return out;
  }

  it(`times ${RUNS} connections per NAT pair class with natkit and with ICE`, async () => {
    const results: PairResult[] = [];
    let overBudget: string | null = null;
    const slowPairs: string[] = [];
    for (const pair of pairs) {
      if (overBudget !== null) break;
      const [siteA, siteB] = [`${pair.a}1`, `${pair.b}${pair.a === pair.b ? 2 : 1}`];
      const runs = await measurePair(pair, siteA, siteB);
      overBudget = runs.stopped;
      if (runs.slow) slowPairs.push(`${pair.a}-${pair.b}`);
      if (runs.natkit.length === 0 || runs.ice.length === 0) break;
      const { natkit, ice, iceStun } = runs;
      const result: PairResult = { label: `${classes[pair.a].label} - ${classes[pair.b].label}`, punchable: punchable(pair), natkit, ice, iceStun };
      results.push(result);
      console.log(`[peer-pairs] ${result.label}: natkit ${natkit.map((r) => `${r.connectMs ?? 'x'}/${r.directMs ?? '-'}`).join(' ')}; ICE ${ice.map((r) => `${r.openMs ?? 'x'}${r.path === 'relay' ? 'R' : ''}`).join(' ')}`);
    }
    const revision = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: import.meta.dirname, encoding: 'utf8', timeout: 5000 }).stdout?.trim() || 'unknown';
    console.log(`\nPeer pairs on real Linux NATs (${new Date().toISOString()}; tree ${revision}; ping --count ${PING_COUNT} --interval ${PING_INTERVAL}; ${FRESH_LISTENER ? 'a new listener per run' : 'one listener per pair'}; ms)`);
    console.log('natkit: connectMs = first pong (first authenticated datagram back), directMs = first pong over a direct path; ICE: offerer PeerConnection created -> data channel open');
    console.log(formatReport(results, RUNS, STUN_RUNS, pairs.length));
    if (slowPairs.length > 0) console.log(`natkit chose a slow strategy (${SLOW_STRATEGIES.join(', ')}) for ${slowPairs.join(', ')}: measured with ping --count ${SLOW_COUNT} --interval ${SLOW_INTERVAL}, ${SLOW_RUNS} runs`);
    const s = (v: number) => (v / 1000).toFixed(0);
    console.log(`\nwhole benchmark: ${s(Date.now() - started)} s (natkit ping processes ${s(spent.natkit)} s, ICE peer processes ${s(spent.ice)} s, listeners ${s(spent.listen)} s)`);
    expect(overBudget, overBudget ?? '').toBeNull();
    // A pair that no tool ever connected measured nothing: the setup, not a figure, is broken.
    for (const r of results) expect(r.natkit.some((x) => x.connectMs !== null) || r.ice.some((x) => x.openMs !== null), r.label).toBe(true);
  }, DEADLINE_MS + 60_000);
});
