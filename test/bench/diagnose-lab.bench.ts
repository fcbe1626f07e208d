/**
 * Benchmark: wall time of a full NAT diagnosis on real Linux NATs (test/lab), side by side.
 *
 * For each NAT type, the median of RUNS runs of
 *   - `natkit diagnose --server 203.0.113.1:3478 --json --ipv4 --hairpin` against `natkit serve`
 *     (mapping, filtering, port allocation pattern, hairpinning): the process's wall time (which
 *     includes `ip netns exec` and Node start-up) and the report's own `durationMs` (in-process);
 *   - the classic Debian client `stun <server> -v`, against coturn and against natkit serve;
 *   - coturn's `turnutils_natdiscovery -m -f -L <host>`, against coturn and against natkit serve
 *     (`--other-address coturn`, the OTHER-ADDRESS natdiscovery expects; see the serve help);
 *   - and HAIRPIN_RUNS runs of `turnutils_natdiscovery -m -f -H` against coturn (hairpin-inclusive,
 *     like natkit's --hairpin).
 * Verdicts are compared (natkit mapping/filtering with natdiscovery's, natkit's classic name with
 * the stun client's) and printed with the ratios and the goals.
 *
 * natkit runs one process at a time with nothing else running in the lab (it is CPU-bound at
 * start-up on a 2-core machine); the C judges are bound by their receive timeouts, so each NAT's
 * judge runs go in parallel with the other NATs' to keep the whole benchmark short.
 *
 * Run as root after `npx tsc -b`: `npx vitest run --config test/bench/vitest.bench.config.ts`.
 * NATKIT_BENCH_RUNS / NATKIT_BENCH_HAIRPIN_RUNS override the run counts (default 10 and 3).
 * Fails when the lab cannot run here. Bounded: every process has a timeout, and the measurement
 * stops with an error past DEADLINE_MS.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosisReport } from '@natkit/stun';
import { checkLabCapability, createLab, NATKIT_BIN as NATKIT, startTurnServer, waitForUdpListeners, type Lab, type LabProcess, type SiteOptions } from '../lab/harness/index.js';
import { runNatDiscovery, type NatDiscoveryResult } from '../lab/judges/nat-discovery.js';
import { runStunClient, type StunClientResult } from '../lab/judges/stun-client.js';

const RUNS = positiveInt(process.env.NATKIT_BENCH_RUNS, 10);
const HAIRPIN_RUNS = positiveInt(process.env.NATKIT_BENCH_HAIRPIN_RUNS, 3);
const DEADLINE_MS = 420_000;

const NATKIT_PORT = 3478;
/** natkit serve --other-address coturn: what turnutils_natdiscovery expects. */
const NATKIT_COMPAT_PORT = 3500;
const COTURN_PORT = 3490;

const EIM = 'endpoint-independent';
const ADM = 'address-dependent';
const APDM = 'address-and-port-dependent';

interface Case {
  label: string;
  site: SiteOptions;
  mapping: string;
  filtering: string;
  classic: string;
  /** natkit's port allocation verdict (no judge reports one): pattern, and the step when sequential. */
  allocation: string;
  /** Linux masquerade does not hairpin; without a NAT, sending to one's own address works. */
  hairpin: boolean;
}

const cases = {
  FC: { label: 'full cone', site: { behavior: 'full-cone' }, mapping: EIM, filtering: EIM, classic: 'full-cone', allocation: 'preserving', hairpin: false },
  RC: { label: 'restricted cone', site: { behavior: 'restricted-cone' }, mapping: EIM, filtering: ADM, classic: 'restricted-cone', allocation: 'preserving', hairpin: false },
  PRC: { label: 'port-restricted cone', site: { behavior: 'port-restricted-cone' }, mapping: EIM, filtering: APDM, classic: 'port-restricted-cone', allocation: 'preserving', hairpin: false },
  SR: { label: 'symmetric random', site: { behavior: 'symmetric-random' }, mapping: APDM, filtering: APDM, classic: 'symmetric', allocation: 'random', hairpin: false },
  S256: { label: 'symmetric seq. 256', site: { behavior: 'symmetric-sequential-256' }, mapping: APDM, filtering: APDM, classic: 'symmetric', allocation: 'sequential 256', hairpin: false },
  ADM: { label: 'addr.-dep. mapping', site: { behavior: 'address-dependent-mapping' }, mapping: ADM, filtering: APDM, classic: 'symmetric', allocation: 'random', hairpin: false },
  NN: { label: 'no NAT', site: { topology: 'no-nat' }, mapping: EIM, filtering: EIM, classic: 'open-internet', allocation: 'preserving', hairpin: true },
} satisfies Record<string, Case>;
type Key = keyof typeof cases;
const keys = Object.keys(cases) as Key[];

interface NatkitRun {
  wallMs: number;
  inProcessMs: number | null;
  code: number | null;
  mapping: string;
  filtering: string;
  classic: string;
  /** Pattern, with the step when sequential ("sequential 256"). */
  allocation: string;
  samples: readonly number[];
  hairpinning: boolean | null;
  raw: string;
}

interface JudgeRuns {
  stunCoturn: StunClientResult[];
  stunNatkit: StunClientResult[];
  ndCoturn: NatDiscoveryResult[];
  ndNatkit: NatDiscoveryResult[];
  ndHairpinCoturn: NatDiscoveryResult[];
}

function positiveInt(text: string | undefined, fallback: number): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const short: Record<string, string> = { [EIM]: 'EI', [ADM]: 'AD', [APDM]: 'APD', unknown: '?' };
const mf = (mapping: string, filtering: string): string => `${short[mapping] ?? mapping}M/${short[filtering] ?? filtering}F`;
/** natdiscovery prints "No NAT! (Endpoint Independent Mapping)" instead of a mapping verdict line. */
const ndMapping = (r: NatDiscoveryResult): string => (r.mapping === 'unknown' && r.noNat ? EIM : r.mapping);
const ndVerdict = (r: NatDiscoveryResult): string => mf(ndMapping(r), r.filtering);
const secs = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(3) : 'n/a');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** "EIM/APDF x10" or "EIM/APDF x9, EIM/ADF x1": every distinct verdict with its count. */
function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} x${n}`).join(', ');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

describe('diagnosis wall time on real NATs: natkit vs the classic stun client vs coturn natdiscovery', () => {
  let lab: Lab<Key> | undefined;
  const started = Date.now();
  const checkDeadline = (what: string) => {
    if (Date.now() - started > DEADLINE_MS) throw new Error(`benchmark over its ${DEADLINE_MS / 1000} s budget (at ${what})`);
  };

  beforeAll(async () => {
    const capability = checkLabCapability(['turnserver', 'turnutils_natdiscovery', 'stun']);
    if (!capability.ok) throw new Error(`the lab cannot run here: ${capability.reason}`);
    lab = await createLab({ sites: Object.fromEntries(keys.map((k) => [k, cases[k].site])) as Record<Key, SiteOptions> });
    const serve = async (port: number, extra: readonly string[] = []): Promise<LabProcess> => {
      const child = await lab!.spawn(lab!.ns.inet, [
        process.execPath, NATKIT, 'serve', '--address', lab!.serverAddresses[0]!, '--alternate-address', lab!.serverAddresses[1]!,
        '--port', String(port), '--log-level', 'warn', ...extra,
      ]);
      return child;
    };
    const servers = [await serve(NATKIT_PORT), await serve(NATKIT_COMPAT_PORT, ['--other-address', 'coturn'])];
    await startTurnServer(lab, { port: COTURN_PORT });
    // natkit serve logs its listening line at info; with --log-level warn wait for the sockets instead.
    await waitForUdpListeners(
      lab,
      lab.ns.inet,
      [NATKIT_PORT, NATKIT_PORT + 1, NATKIT_COMPAT_PORT, NATKIT_COMPAT_PORT + 1].flatMap((port) => lab!.serverAddresses.map((address) => ({ address, port }))),
      10_000,
    );
    for (const s of servers) if (!s.running) throw new Error(`natkit serve exited:\n${s.output}`);
  }, 90_000);

  afterAll(async () => {
    await lab?.close();
  });

  async function natkitRun(ns: string): Promise<NatkitRun> {
    const r = await lab!.exec(ns, [process.execPath, NATKIT, 'diagnose', '--server', `${lab!.serverAddresses[0]}:${NATKIT_PORT}`, '--json', '--ipv4', '--hairpin'], {
      timeoutMs: 20_000,
    });
    let report: DiagnosisReport | null = null;
    try {
      report = JSON.parse(r.stdout) as DiagnosisReport;
    } catch {
      report = null;
    }
    const v4 = report?.ipv4 ?? null;
    return {
      wallMs: r.durationMs,
      inProcessMs: report?.durationMs ?? null,
      code: r.code,
      mapping: v4?.mapping ?? 'unknown',
      filtering: v4?.filtering ?? 'unknown',
      classic: v4?.classic ?? 'unknown',
      allocation: v4 ? `${v4.portAllocation.pattern}${v4.portAllocation.delta === null ? '' : ` ${v4.portAllocation.delta}`}` : 'unknown',
      samples: v4?.portAllocation.samples ?? [],
      hairpinning: v4?.hairpinning ?? null,
      raw: `${r.stdout}${r.stderr}`.slice(0, 4000),
    };
  }

  async function medianWall(ns: string, argv: readonly string[]): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await lab!.exec(ns, argv, { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`'${argv.join(' ')}' failed (${r.code ?? r.signal}): ${r.stderr}`);
      times.push(r.durationMs);
    }
    return median(times);
  }

  it(`times ${RUNS} diagnoses per NAT with each tool and compares verdicts`, async () => {
    const l = lab!;
    const server = l.serverAddresses[0]!;

    // Phase 1, quiet: start-up costs, then natkit, one process at a time (round-robin over NATs).
    const ns0 = l.hosts.PRC.ns;
    const overhead = {
      netnsExec: await medianWall(ns0, ['true']),
      node: await medianWall(ns0, [process.execPath, '-e', '0']),
      natkitHelp: await medianWall(ns0, [process.execPath, NATKIT, 'diagnose', '--help']),
    };
    const natkit = new Map<Key, NatkitRun[]>(keys.map((k) => [k, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const key of keys) {
        checkDeadline(`natkit run ${i + 1} on ${key}`);
        natkit.get(key)!.push(await natkitRun(l.hosts[key].ns));
      }
    }

    // Phase 2: the C judges; each NAT's runs in sequence, the NATs in parallel.
    const judges = new Map<Key, JudgeRuns>();
    await Promise.all(
      keys.map(async (key) => {
        const ns = l.hosts[key].ns;
        const runs: JudgeRuns = { stunCoturn: [], stunNatkit: [], ndCoturn: [], ndNatkit: [], ndHairpinCoturn: [] };
        judges.set(key, runs);
        for (let i = 0; i < RUNS; i++) {
          checkDeadline(`judge run ${i + 1} on ${key}`);
          runs.stunCoturn.push(await runStunClient(l, ns, `${server}:${COTURN_PORT}`, { timeoutMs: 15_000 }));
          runs.stunNatkit.push(await runStunClient(l, ns, server, { timeoutMs: 15_000 }));
          runs.ndCoturn.push(await runNatDiscovery(l, ns, server, { port: COTURN_PORT, timeoutMs: 20_000 }));
          runs.ndNatkit.push(await runNatDiscovery(l, ns, server, { port: NATKIT_COMPAT_PORT, timeoutMs: 20_000 }));
        }
        for (let i = 0; i < HAIRPIN_RUNS; i++) {
          checkDeadline(`natdiscovery -H run ${i + 1} on ${key}`);
          runs.ndHairpinCoturn.push(await runNatDiscovery(l, ns, server, { port: COTURN_PORT, hairpinning: true, timeoutMs: 30_000 }));
        }
      }),
    );

    // ---- report
    const timeRows: string[][] = [];
    const ratioRows: string[][] = [];
    const verdictRows: string[][] = [];
    const hairpinRows: string[][] = [];
    const allocationMisses: string[] = [];
    const problems: string[] = [];
    for (const key of keys) {
      const c = cases[key];
      const nk = natkit.get(key)!;
      const j = judges.get(key)!;
      const nkWall = median(nk.map((r) => r.wallMs));
      const nkIn = median(nk.map((r) => r.inProcessMs ?? Number.NaN));
      const stunC = median(j.stunCoturn.map((r) => r.durationMs));
      const stunN = median(j.stunNatkit.map((r) => r.durationMs));
      const ndC = median(j.ndCoturn.map((r) => r.durationMs));
      const ndN = median(j.ndNatkit.map((r) => r.durationMs));
      const ndH = median(j.ndHairpinCoturn.map((r) => r.durationMs));
      timeRows.push([c.label, secs(nkWall), secs(nkIn), secs(stunC), secs(stunN), secs(ndC), secs(ndN), secs(ndH)]);
      const goal = (value: number, target: number, more: boolean) => ((more ? value >= target : value < target) ? 'yes' : 'NO');
      ratioRows.push([
        c.label,
        `${secs(nkWall)} ${goal(nkWall, 500, false)} / ${secs(nkIn)} ${goal(nkIn, 500, false)}`,
        `${ratio(stunC, nkWall)} ${goal(stunC / nkWall, 2, true)} / ${ratio(stunC, nkIn)} ${goal(stunC / nkIn, 2, true)}`,
        `${ratio(ndC, nkWall)} ${goal(ndC / nkWall, 6, true)} / ${ratio(ndC, nkIn)} ${goal(ndC / nkIn, 6, true)}`,
        `${ratio(ndH, nkWall)} / ${ratio(ndH, nkIn)}`,
      ]);

      const expectedMf = mf(c.mapping, c.filtering);
      const nkMf = nk.map((r) => mf(r.mapping, r.filtering));
      const nkClassic = nk.map((r) => r.classic);
      const mfSeen = new Set([...nkMf, ...j.ndCoturn.map(ndVerdict), ...j.ndNatkit.map(ndVerdict), ...j.ndHairpinCoturn.map(ndVerdict)]);
      const classicSeen = new Set([...nkClassic, ...j.stunCoturn.map((r) => r.classic), ...j.stunNatkit.map((r) => r.classic)]);
      const hairpinSeen = new Set([...nk.map((r) => String(r.hairpinning)), ...j.ndHairpinCoturn.map((r) => String(r.hairpinning))]);
      const mfAgree = mfSeen.size === 1 && mfSeen.has(expectedMf);
      const classicAgree = classicSeen.size === 1 && classicSeen.has(c.classic);
      verdictRows.push([
        c.label,
        `${expectedMf} ${c.classic} (${c.allocation})`,
        tally(nkMf),
        tally(nkClassic),
        tally(nk.map((r) => r.allocation)),
        tally(j.ndCoturn.map(ndVerdict)),
        tally(j.ndNatkit.map(ndVerdict)),
        tally(j.stunCoturn.map((r) => r.classic)),
        tally(j.stunNatkit.map((r) => r.classic)),
        mfAgree ? 'yes' : 'NO',
        classicAgree ? 'yes' : 'NO',
      ]);
      const judgeHairpin = new Set(j.ndHairpinCoturn.map((r) => r.hairpinning));
      hairpinRows.push([
        c.label,
        String(c.hairpin),
        tally(nk.map((r) => String(r.hairpinning))),
        tally(j.ndHairpinCoturn.map((r) => `${ndVerdict(r)} hairpin ${String(r.hairpinning)}`)),
        hairpinSeen.size === 1 && hairpinSeen.has(String(c.hairpin))
          ? 'yes'
          : nk.every((r) => r.hairpinning === null) && judgeHairpin.size === 1 && judgeHairpin.has(c.hairpin)
            ? 'natkit undecided (null)'
            : 'NO',
      ]);
      for (const r of nk) {
        if (r.allocation !== c.allocation) allocationMisses.push(`${c.label}: natkit said '${r.allocation}' (expected '${c.allocation}'), mapped ports ${r.samples.join(', ')}`);
      }
      for (const r of nk) if (r.code !== 0 || r.inProcessMs === null) problems.push(`${c.label}: natkit diagnose exited ${r.code}:\n${r.raw}`);
      for (const r of [...j.ndCoturn, ...j.ndNatkit]) if (r.filtering === 'unknown') problems.push(`${c.label}: natdiscovery gave no filtering verdict:\n${r.raw}`);
      for (const r of [...j.stunCoturn, ...j.stunNatkit]) if (r.classic === 'unknown' || r.classic === 'error') problems.push(`${c.label}: stun client gave no verdict:\n${r.raw}`);
    }

    const when = new Date().toISOString();
    const revision = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: import.meta.dirname, encoding: 'utf8', timeout: 5000 }).stdout?.trim() || 'unknown';
    console.log(`\nDiagnosis wall time on real Linux NATs (${when}; tree ${revision}; median of ${RUNS} runs, natdiscovery -H: ${HAIRPIN_RUNS}; seconds)`);
    console.log(
      `Start-up costs (median of ${RUNS}, in a lab host): ip netns exec true ${secs(overhead.netnsExec)} s, ` +
        `+ node -e 0 ${secs(overhead.node)} s, + node natkit.js diagnose --help ${secs(overhead.natkitHelp)} s`,
    );
    console.log(
      table(
        ['NAT', 'natkit process', 'natkit in-process', 'stun->coturn', 'stun->natkit', 'natdisc->coturn', 'natdisc->natkit', 'natdisc -H->coturn'],
        timeRows,
      ),
    );
    console.log('\nRatios and goals (process / in-process): natkit < 0.5 s; stun client (vs coturn) / natkit >= 2x; natdiscovery -m -f (vs coturn) / natkit >= 6x');
    console.log(table(['NAT', 'natkit < 0.5 s', 'stun/natkit >= 2x', 'natdisc/natkit >= 6x', 'natdisc -H/natkit'], ratioRows));
    console.log('\nVerdicts, every run (M/F: mapping/filtering; "agree": every run of natkit and of the judges, against either server, equals the lab truth)');
    console.log(
      table(
        ['NAT', 'lab truth', 'natkit M/F', 'natkit classic', 'natkit allocation', 'natdisc->coturn', 'natdisc->natkit', 'stun->coturn', 'stun->natkit', 'M/F agree', 'classic agree'],
        verdictRows,
      ),
    );
    console.log('\nHairpinning: natkit --hairpin vs natdiscovery -m -f -H (vs coturn)');
    console.log(table(['NAT', 'lab truth', 'natkit', 'natdiscovery -H', 'agree'], hairpinRows));
    console.log(`\nnatkit port allocation vs the lab: ${allocationMisses.length === 0 ? `right in every run` : `${allocationMisses.length} wrong:\n  ${allocationMisses.join('\n  ')}`}`);
    console.log(`\nwhole benchmark: ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // A benchmark of broken runs measures nothing: every run must have produced a verdict.
    expect(problems, problems.join('\n\n')).toEqual([]);
  });
});
