import { createNodeNetwork, systemClock, type Family } from '@natkit/net';
import { diagnose, DiagnosisError, type DiagnoseComponents, type DiagnosisProgress, type DiagnosisReport, type FamilyReport } from '@natkit/stun';
import { ExitCode } from '../exit-codes.js';
import { renderReport } from '../render/report-text.js';

/**
 * Public servers that answer RFC 5780 behavior-discovery requests (two IPs, two ports). Checked at
 * run time: a server without OTHER-ADDRESS or that ignores CHANGE-REQUEST is reported as such.
 */
export const DEFAULT_SERVERS = ['stunserver.stunprotocol.org:3478', 'stun.voipgate.com:3478'];

export interface DiagnoseFlags {
  readonly server?: string[];
  readonly json?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
  readonly hairpin?: boolean;
  readonly lifetime?: string | boolean;
  readonly timeout?: string;
}

export interface Io {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly stderrIsTty: boolean;
}

function exitCodeOf(r: DiagnosisReport): number {
  const families = [r.ipv4, r.ipv6].filter((f): f is FamilyReport => f !== null);
  if (families.length === 0 || families.every((f) => !f.udp)) return ExitCode.UdpBlocked;
  const incomplete = families.some((f) => f.udp && (f.mapping === 'unknown' || f.filtering === 'unknown'));
  return incomplete ? ExitCode.Incomplete : ExitCode.Ok;
}

function progressPrinter(io: Io): ((p: DiagnosisProgress) => void) | undefined {
  if (!io.stderrIsTty) return undefined;
  const frames = ['|', '/', '-', '\\'];
  let n = 0;
  return (p) => {
    const frame = frames[n++ % frames.length] ?? '';
    io.stderr(`\r\x1b[K${frame} IPv${p.family} ${p.phase} ${p.state}${p.detail === undefined ? '' : `: ${p.detail}`}`);
  };
}

function parseLifetime(v: string | boolean | undefined): number | false {
  if (v === undefined || v === false) return false;
  if (v === true) return 300;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new DiagnosisError('ERR_USAGE', `--lifetime takes whole seconds from 1 to 3600, not '${v}'`);
  return n;
}

/**
 * No server name resolved: with the default servers that means offline or DNS blocked, not an
 * unexpected error. Exit code 3, as for "no STUN server answered".
 */
function explainNoName(e: DiagnosisError, usedDefaults: boolean, io: Io): number {
  const head = usedDefaults
    ? 'no default STUN server name resolved: offline, or DNS blocked? use --server HOST (an IP address needs no DNS)'
    : 'no STUN server name resolved: check the name, or give --server an IP address';
  io.stderr(`natkit diagnose: ${head}\n  ${e.message.split('; ').join('\n  ')}\n`);
  return ExitCode.UdpBlocked;
}

/** What `natkit diagnose` may be given instead of the system's (tests: a resolver that fails). */
export type DiagnoseDeps = Pick<DiagnoseComponents, 'resolve'>;

/** `natkit diagnose`: returns the exit code. */
export async function runDiagnose(flags: DiagnoseFlags, io: Io, signal?: AbortSignal, deps: DiagnoseDeps = {}): Promise<number> {
  let timeoutMs: number | undefined;
  let lifetime: number | false;
  try {
    if (flags.timeout !== undefined) {
      timeoutMs = Number(flags.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs < 50 || timeoutMs > 60_000) {
        throw new DiagnosisError('ERR_USAGE', `--timeout takes milliseconds from 50 to 60000, not '${flags.timeout}'`);
      }
    }
    lifetime = parseLifetime(flags.lifetime);
  } catch (e) {
    io.stderr(`natkit diagnose: ${(e as Error).message}\n`);
    return ExitCode.Usage;
  }
  const families: Family[] = flags.ipv4 === true && flags.ipv6 !== true ? [4] : flags.ipv6 === true && flags.ipv4 !== true ? [6] : [4, 6];
  const onProgress = progressPrinter(io);
  const usedDefaults = flags.server === undefined || flags.server.length === 0;
  let report: DiagnosisReport;
  try {
    report = await diagnose(
      {
        servers: usedDefaults ? DEFAULT_SERVERS : flags.server,
        families,
        hairpin: flags.hairpin === true,
        lifetime: lifetime === false ? false : { maxSeconds: lifetime },
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(onProgress === undefined ? {} : { onProgress }),
        ...(signal === undefined ? {} : { signal }),
      },
      { network: createNodeNetwork(), clock: systemClock, ...(deps.resolve === undefined ? {} : { resolve: deps.resolve }) },
    );
  } catch (e) {
    if (onProgress !== undefined) io.stderr('\r\x1b[K');
    if (e instanceof DiagnosisError && e.code === 'ERR_RESOLVE') return explainNoName(e, usedDefaults, io);
    if (e instanceof DiagnosisError) {
      io.stderr(`natkit diagnose: ${e.message}\n`);
      const usage = e.code === 'ERR_BAD_SERVER' || e.code === 'ERR_BAD_PORT' || e.code === 'ERR_BAD_OPTION';
      return usage ? ExitCode.Usage : ExitCode.Error;
    }
    throw e;
  }
  if (onProgress !== undefined) io.stderr('\r\x1b[K');
  io.stdout(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report)}\n`);
  return exitCodeOf(report);
}
