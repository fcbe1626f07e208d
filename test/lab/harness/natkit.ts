/**
 * Running natkit itself in the lab: `natkit serve` in the internet namespace and
 * `natkit diagnose --json` in a host, through the built CLI (apps/cli/bin/natkit.js), as a user would.
 */
import { resolve } from 'node:path';
import type { DiagnosisReport } from '@natkit/stun';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';

export const NATKIT_BIN = resolve(import.meta.dirname, '../../../apps/cli/bin/natkit.js');

export interface NatkitServeOptions {
  /** The two server IPs (default the lab's IPv4 pair). */
  addresses?: readonly string[];
  /** Default 3478; the alternate port is port + 1. */
  port?: number;
  extraArgs?: readonly string[];
}

/** `natkit serve` with RFC 5780 behavior discovery in the lab's internet namespace; resolves once it serves. */
export async function startNatkitServe(lab: Lab, options: NatkitServeOptions = {}): Promise<LabProcess> {
  const [primary, alternate] = options.addresses ?? lab.serverAddresses;
  const serve = await lab.spawn(lab.ns.inet, [
    process.execPath, NATKIT_BIN, 'serve',
    '--address', primary!, '--alternate-address', alternate!,
    '--port', String(options.port ?? 3478),
    ...(options.extraArgs ?? []),
  ]);
  await serve.waitForOutput(/RFC 5780 behavior discovery\) on UDP/, 10_000);
  return serve;
}

export interface NatkitDiagnoseRun {
  code: number | null;
  /** The parsed report, or null when stdout was not JSON (then `raw` says why). */
  report: DiagnosisReport | null;
  /** stdout and stderr, for assertion messages. */
  raw: string;
  durationMs: number;
}

/** `natkit diagnose --json --server S... FLAGS...` in a host namespace. */
export async function runNatkitDiagnose(
  lab: Lab,
  ns: string,
  servers: readonly string[],
  flags: readonly string[] = [],
  options: { timeoutMs?: number } = {},
): Promise<NatkitDiagnoseRun> {
  const argv = [process.execPath, NATKIT_BIN, 'diagnose', ...servers.flatMap((s) => ['--server', s]), '--json', ...flags];
  const r = await lab.exec(ns, argv, { timeoutMs: options.timeoutMs ?? 20_000 });
  let report: DiagnosisReport | null = null;
  try {
    report = JSON.parse(r.stdout) as DiagnosisReport;
  } catch {
    report = null;
  }
  return { code: r.code, report, raw: r.stdout + r.stderr, durationMs: r.durationMs };
}

/** At most `limit` at a time: the machine has two cores, and the filtering tests are about timing. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return out;
}
