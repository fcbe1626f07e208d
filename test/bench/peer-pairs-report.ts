/**
 * The tables of peer-pairs.bench.ts: per NAT pair class, natkit's time to the first authenticated
 * datagram and to a direct path next to node-datachannel ICE's time to an open data channel, the
 * final paths, the ratios, and how far each goal of issue 7 is met.
 */

export interface NatkitRun {
  /** The summary's connectMs (first pong) or null when no pong came back. */
  readonly connectMs: number | null;
  readonly directMs: number | null;
  /** The summary's final path, or 'failed' without a summary. */
  readonly path: 'direct' | 'relay' | 'failed';
  readonly strategy: string | null;
  readonly problem: string | null;
}

export interface IceRun {
  readonly openMs: number | null;
  /** 'direct' unless a candidate of the selected pair is a relay one; 'failed' without an open channel. */
  readonly path: 'direct' | 'relay' | 'failed';
  /** The selected pair's candidate types, `local/remote` (e.g. `srflx/prflx`). */
  readonly types: string;
  readonly problem: string | null;
}

export interface PairResult {
  readonly label: string;
  /** Direct is possible in the lab (issue 7: 13 of the 15 classes). */
  readonly punchable: boolean;
  readonly natkit: readonly NatkitRun[];
  readonly ice: readonly IceRun[];
  /** ICE with STUN only (no TURN). */
  readonly iceStun: readonly IceRun[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ms = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)}` : '-');
const numbers = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

/** "direct 9, relay 1": every distinct value with its count. */
export function tally(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ${n}`).join(', ');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** A class counts as direct when the final path was direct in more than half of its runs. */
const mostlyDirect = (paths: readonly string[]): boolean => paths.filter((p) => p === 'direct').length * 2 > paths.length;

interface PairFigures {
  connect: number;
  direct: number;
  open: number;
  natkitDirect: boolean;
  iceDirect: boolean;
  iceStunDirect: boolean;
}

function figures(p: PairResult): PairFigures {
  return {
    connect: median(numbers(p.natkit.map((r) => r.connectMs))),
    direct: median(numbers(p.natkit.map((r) => r.directMs))),
    open: median(numbers(p.ice.map((r) => r.openMs))),
    natkitDirect: mostlyDirect(p.natkit.map((r) => r.path)),
    iceDirect: mostlyDirect(p.ice.map((r) => r.path)),
    iceStunDirect: mostlyDirect(p.iceStun.map((r) => r.path)),
  };
}

/** The per-pair table, the goals and the problems seen, as printable text. */
export function formatReport(pairs: readonly PairResult[], runs: number, stunRuns: number, of: number): string {
  const rows = pairs.map((p) => {
    const f = figures(p);
    const connects = numbers(p.natkit.map((r) => r.connectMs));
    const opens = numbers(p.ice.map((r) => r.openMs));
    const ratio = f.connect / f.open;
    return [
      p.label,
      p.punchable ? 'yes' : 'no',
      `${ms(f.connect)} (${ms(Math.min(...connects))}-${ms(Math.max(...connects))})`,
      `${ms(f.direct)} (${numbers(p.natkit.map((r) => r.directMs)).length}/${p.natkit.length})`,
      tally(p.natkit.map((r) => r.path)),
      tally(p.natkit.map((r) => r.strategy ?? '-')),
      `${ms(f.open)} (${ms(Math.min(...opens))}-${ms(Math.max(...opens))})`,
      tally(p.ice.map((r) => r.path)),
      tally(p.ice.filter((r) => r.path !== 'failed').map((r) => r.types)),
      Number.isFinite(ratio) ? ratio.toFixed(2) : '-',
      `${ms(median(numbers(p.iceStun.map((r) => r.openMs))))} (${p.iceStun.filter((r) => r.path === 'direct').length}/${p.iceStun.length})`,
    ];
  });
  const all = pairs.map(figures);
  const within100 = all.filter((f) => f.connect <= 100).length;
  const half = all.filter((f) => f.connect / f.open <= 0.5).length;
  const natkitDirect = pairs.filter((_, i) => all[i]!.natkitDirect);
  const iceDirect = pairs.filter((_, i) => all[i]!.iceDirect);
  const iceStunDirect = pairs.filter((_, i) => all[i]!.iceStunDirect);
  const missed = pairs.filter((p, i) => p.punchable && !all[i]!.natkitDirect).map((p) => p.label);
  const problems = pairs.flatMap((p) => [
    ...p.natkit.filter((r) => r.problem !== null).map((r) => `${p.label} natkit: ${r.problem}`),
    ...p.ice.filter((r) => r.problem !== null).map((r) => `${p.label} ICE: ${r.problem}`),
    ...p.iceStun.filter((r) => r.problem !== null).map((r) => `${p.label} ICE STUN-only: ${r.problem}`),
  ]);
  return [
    table(
      ['pair', 'punchable', 'natkit 1st datagram ms (min-max)', 'natkit direct ms (runs)', 'natkit final path', 'natkit strategy', 'ICE open ms (min-max)', 'ICE path', 'ICE selected pair', 'natkit/ICE', 'ICE STUN-only ms (direct/runs)'],
      rows,
    ),
    '',
    `(${pairs.length} of ${of} pairs measured; medians of ${runs} runs each, ICE STUN-only ${stunRuns}; a class is "direct" when more than half of its runs ended direct)`,
    `natkit first datagram within 100 ms (median): ${within100} of ${pairs.length} pairs (goal: all)`,
    `natkit first datagram at most half of ICE's open time (median): ${half} of ${pairs.length} pairs (goal: all)`,
    `direct classes: natkit ${natkitDirect.length} of ${pairs.length} (goal 13), ICE with STUN+TURN ${iceDirect.length} of ${pairs.length}, ICE STUN-only ${iceStunDirect.length} of ${pairs.length} (the research note: 10)`,
    `punchable classes natkit did not end direct in: ${missed.length === 0 ? 'none' : missed.join(', ')}`,
    `problems (${problems.length}):${problems.length === 0 ? ' none' : `\n  ${problems.slice(0, 40).join('\n  ')}`}`,
  ].join('\n');
}
