/**
 * Benchmark (issue 7, "Birthday pairs"): birthday-paradox punching on real Linux NATs against its
 * theory. A port-restricted cone (EIM + APDF, `masquerade`) against a symmetric NAT with random
 * ports (`masquerade random`), `natkit serve` in the lab's internet for STUN. One long-lived Node
 * process per host (`birthday-lab.peer.mjs`, started with `ip netns exec`) binds a fresh socket per
 * trial, learns its mapping from natkit serve, then runs @natkit/punch's `planPunch` +
 * `startPunch` over its real socket (the random side opens 256 more); both fire at once.
 *
 * Three cases: "cut" limits the attempt to 4,560 ms (256 probes at 100 pps + 2 s of grace, as
 * packages/punch/test/engine/birthday-rate.test.ts does over the virtual network) so that the
 * success rate (about 64%) says something against `birthdaySuccessProbability`; the same cut
 * attempt as a series of two (`startPunchSeries`: a failed attempt followed at once by a second
 * with fresh sockets and new probe ports; theory 1 - (1 - p)², about 87%); and the default limits
 * (sized for 99%) as the peer runs them, a series of two (theory 1 - 0.01² = 0.9999). Printed: direct/trials against the plan's probability (with the
 * distance in standard deviations), and the time from the fire time to the selected pair (median,
 * p90) against the theory's median (probes needed for half the success probability, at 100 pps).
 * The NAT profiles given to the planner are the lab's truth (nat-lab.md), not a diagnosis.
 *
 * Run as root after `npx tsc -b`: `npx vitest run --config test/bench/vitest.bench.config.ts test/bench/birthday-lab.bench.ts`.
 * NATKIT_BENCH_BIRTHDAY_TRIALS / NATKIT_BENCH_BIRTHDAY_FULL_TRIALS change the counts (20 for each
 * cut case, 5 for the default limits).
 * Fails when the lab cannot run here, or a trial gives no result; a rate off its theory is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { birthdaySuccessProbability, DEFAULT_PUNCH_LIMITS, seriesSuccessProbability, type NatProfile, type PeerDescription, type PunchLimits } from '@natkit/punch';
import { checkLabCapability, createLab, requireTool, startNatkitServe, type Lab } from '../lab/harness/index.js';

const TRIALS = positiveInt(process.env.NATKIT_BENCH_BIRTHDAY_TRIALS, 20);
const FULL_TRIALS = positiveInt(process.env.NATKIT_BENCH_BIRTHDAY_FULL_TRIALS, 5);
const DEADLINE_MS = 540_000;
const PEER_SCRIPT = resolve(import.meta.dirname, 'birthday-lab.peer.mjs');
const PPS = 100;

const EIM_APDF: NatProfile = { family: 4, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving', delta: null, hairpinning: false };
const RANDOM: NatProfile = { family: 4, mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', allocation: 'random', delta: null, hairpinning: false };

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : fallback;
}

type Answer = Record<string, unknown> & { type: string };
interface Endpoint { address: string; port: number }

/** One host's long-lived peer process, spoken to in JSON lines; killed by its pid group at lab close. */
class Side {
  readonly #child: ChildProcess;
  readonly #answers: Answer[] = [];
  #wake: (() => void) | null = null;
  #output = '';

  constructor(lab: Lab, ns: string, hostAddress: string, server: string) {
    this.#child = spawn(requireTool('ip'), ['netns', 'exec', ns, process.execPath, PEER_SCRIPT, server, '3478', hostAddress], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const pid = this.#child.pid;
    lab.defer(() => this.#kill(pid));
    let buffered = '';
    this.#child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      for (let i; (i = buffered.indexOf('\n')) >= 0; ) {
        this.#answers.push(JSON.parse(buffered.slice(0, i)) as Answer);
        buffered = buffered.slice(i + 1);
        this.#wake?.();
      }
    });
    this.#child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.#output = (this.#output + d).slice(-4000)));
    this.#child.stdin!.on('error', () => {});
  }

  async ask(command: Record<string, unknown>, type: string, timeoutMs: number): Promise<Answer> {
    this.#child.stdin!.write(`${JSON.stringify(command)}\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#answers.findIndex((a) => a.type === type || a.type === 'error');
      if (i >= 0) {
        const answer = this.#answers.splice(i, 1)[0]!;
        if (answer.type === 'error') throw new Error(`peer: ${String(answer.message)}`);
        return answer;
      }
      if (Date.now() > deadline || this.#child.exitCode !== null) throw new Error(`peer: no ${type} within ${timeoutMs} ms (${this.#output.slice(-500)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  #kill(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

interface Trial { direct: boolean; elapsedMs: number | null; p: number; probes: number; sockets: number; failure: string | null; attempts: number }

async function trial(eim: Side, random: Side, limits: Partial<PunchLimits>, attempts?: number): Promise<Trial> {
  const [e, r] = await Promise.all([eim.ask({ type: 'prepare' }, 'prepared', 10_000), random.ask({ type: 'prepare' }, 'prepared', 10_000)]);
  const describe = (a: Answer, profile: NatProfile): PeerDescription => ({
    profiles: [profile],
    candidates: [{ type: 'host', family: 4, ...(a.host as Endpoint) }, { type: 'srflx', family: 4, verified: true, ...(a.srflx as Endpoint) }],
  });
  const [de, dr] = [describe(e, EIM_APDF), describe(r, RANDOM)];
  const common = { type: 'punch', token: randomBytes(32).toString('hex'), fireInMs: 300, seed: randomInt(1, 2 ** 30), limits, ...(attempts === undefined ? {} : { attempts }) };
  const timeoutMs = (limits.maxDurationMs ?? DEFAULT_PUNCH_LIMITS.maxDurationMs) * (attempts ?? 1) + 15_000;
  const [pe, pr] = await Promise.all([
    eim.ask({ ...common, me: de, peer: dr, role: 'controlling' }, 'punched', timeoutMs),
    random.ask({ ...common, me: dr, peer: de, role: 'controlled' }, 'punched', timeoutMs),
  ]);
  if (pe.strategy !== 'birthday' || pr.strategy !== 'birthday') throw new Error(`planned ${String(pe.strategy)}/${String(pr.strategy)}, not birthday`);
  const direct = pe.ok === true && pr.ok === true;
  const failure = direct ? null : `${pe.ok === true ? 'ok' : String(pe.reason)}/${pr.ok === true ? 'ok' : String(pr.reason)}`;
  return { direct, elapsedMs: direct ? (pe.elapsedMs as number) : null, p: pe.p as number, probes: pe.probes as number, sockets: pr.extraSockets as number, failure, attempts: Math.max(pe.attempts as number, pr.attempts as number) };
}

const median = (xs: readonly number[]): number | null => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!);
const quantile = (xs: readonly number[], q: number): number | null => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!);

/** Theory: the probe count at which the success probability reaches half its final value, at PPS. */
function theoryMedianMs(sockets: number, probes: number, space: number): number {
  const half = birthdaySuccessProbability(sockets, probes, space) / 2;
  let k = 1;
  while (k < probes && birthdaySuccessProbability(sockets, k, space) < half) k++;
  return (k * 1000) / PPS;
}

describe('birthday punching on real NATs: port-restricted cone vs symmetric random', () => {
  it(`${TRIALS} cut trials and ${FULL_TRIALS} full trials against theory`, async () => {
    const capability = checkLabCapability();
    expect(capability.ok, capability.ok ? '' : `the lab cannot run here: ${capability.reason}`).toBe(true);
    const started = Date.now();
    await using lab = await createLab({ sites: { E: { behavior: 'port-restricted-cone' }, R: { behavior: 'symmetric-random' } } });
    await startNatkitServe(lab);
    const server = lab.serverAddresses[0]!;
    const eim = new Side(lab, lab.hosts.E.ns, lab.hosts.E.address, server);
    const random = new Side(lab, lab.hosts.R.ns, lab.hosts.R.address, server);
    const space = DEFAULT_PUNCH_LIMITS.portRange[1] - DEFAULT_PUNCH_LIMITS.portRange[0] + 1;
    const cases = [
      { name: 'cut (4,560 ms)', trials: TRIALS, limits: { maxDurationMs: 4_560 } },
      { name: 'cut, 2 attempts', trials: TRIALS, limits: { maxDurationMs: 4_560 }, attempts: 2 },
      { name: 'default, 2 att.', trials: FULL_TRIALS, limits: {}, attempts: 2 },
    ];
    const rows: string[] = [];
    for (const c of cases) {
      const results: Trial[] = [];
      for (let i = 0; i < c.trials; i++) {
        if (Date.now() - started > DEADLINE_MS) throw new Error(`over the ${DEADLINE_MS / 1000} s deadline after ${results.length} trials of ${c.name}`);
        results.push(await trial(eim, random, c.limits, c.attempts));
      }
      const direct = results.filter((r) => r.direct);
      const { probes, sockets } = results[0]!;
      const p = seriesSuccessProbability(results[0]!.p, c.attempts ?? 1);
      const second = direct.filter((r) => r.attempts > 1).length;
      const rate = direct.length / results.length;
      const sigma = Math.sqrt((p * (1 - p)) / results.length);
      const times = direct.map((r) => Math.round(r.elapsedMs!));
      const reasons = new Map<string, number>();
      for (const r of results) if (r.failure !== null) reasons.set(r.failure, (reasons.get(r.failure) ?? 0) + 1);
      const failures = [...reasons].map(([why, n]) => `${n}x ${why}`).join(', ');
      rows.push(
        `${c.name.padEnd(15)} | ${String(results.length).padStart(6)} | ${String(direct.length).padStart(6)} | ${rate.toFixed(3)} | ${p.toFixed(4)} | ${(sigma === 0 ? 0 : (rate - p) / sigma).toFixed(2).padStart(6)} | ${String(median(times) ?? '-').padStart(9)} | ${String(quantile(times, 0.9) ?? '-').padStart(6)} | ${theoryMedianMs(sockets + 1, probes, space).toFixed(0).padStart(11)} | ${probes} x ${sockets + 1}${c.attempts === undefined ? '' : ` | direct on the 2nd attempt: ${second}`}${failures === '' ? '' : ` | relay: ${failures}`}`,
      );
    }
    console.log(`\nbirthday punching on real NATs (lab): port-restricted cone (prober, controlling) vs symmetric random (${TRIALS}/${FULL_TRIALS} trials), ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log('case            | trials | direct | rate  | theory | sigmas | median ms |  p90 ms | theory med | probes x sockets');
    for (const row of rows) console.log(row);
    console.log('ms: from the (first) fire time to the selected pair (controlling side). theory: 1 - (1 - p)^attempts. theory med: probes for half the success probability of one attempt at 100 pps (no RTT, mappings assumed open).');
  });
});
