import { describeValue, familyOf, numberProblem, portProblem, type Endpoint, type Family } from '@natkit/net';
import { DiagnosisError } from '../errors.js';
import type { DiagnosisProgress } from './types.js';

export interface DiagnoseOptions {
  /**
   * Servers as endpoints (IP literal and port) or `host[:port]` / `[v6]:port` strings, or one
   * of them alone. The first RFC 5780 one leads.
   */
  readonly servers: readonly (Endpoint | string)[] | Endpoint | string;
  /**
   * Families to test; default both. A family with no server address is reported as null (with
   * a warning when it was asked for here); none to test at all rejects with `ERR_NO_SERVERS`.
   */
  readonly families?: readonly Family[];
  /** Test hairpinning (opt-in: some firewalls flag packets to one's own address). */
  readonly hairpin?: boolean;
  /** Measure the mapping lifetime (opt-in: it takes minutes). `true` means up to 300 s; at most 3600. */
  readonly lifetime?: boolean | { readonly maxSeconds: number };
  /** Budget for the first answer from the servers, ms, in 1-600000 (below 50 counts as 50); default 2000. */
  readonly timeoutMs?: number;
  /** Fresh sockets that sample the port allocation, 0-16 (default 4). */
  readonly allocationSockets?: number;
  readonly signal?: AbortSignal;
  /** Called as each phase starts and ends. A listener that throws is logged and ignored. */
  readonly onProgress?: (p: DiagnosisProgress) => void;
}

/** Options after the checks, with the defaults filled in. */
export interface CheckedDiagnoseOptions {
  readonly servers: readonly (Endpoint | string)[];
  readonly families: readonly Family[];
  /** The caller named the families (so a family without a server is worth a warning). */
  readonly familiesGiven: boolean;
  readonly hairpin: boolean;
  readonly lifetimeMaxSeconds: number | null;
  readonly timeoutMs: number;
  readonly allocationSockets: number;
}

const bad = (what: string, problem: string): DiagnosisError => new DiagnosisError('ERR_BAD_OPTION', `diagnose: ${what} ${problem}`);

/**
 * Checks every option of `diagnose` (JavaScript callers included) and fills in defaults. Throws
 * DiagnosisError: `ERR_BAD_OPTION`, `ERR_BAD_SERVER` (an endpoint whose address is not an IP
 * literal) or `ERR_BAD_PORT`.
 */
export function checkDiagnoseOptions(options: DiagnoseOptions): CheckedDiagnoseOptions {
  if (typeof options !== 'object' || options === null) throw bad('options', 'must be an object');
  const servers = Array.isArray(options.servers) ? (options.servers as readonly unknown[]) : [options.servers as unknown];
  for (const s of servers) checkServer(s);
  const families = options.families ?? [4, 6];
  if (!Array.isArray(families) || families.length === 0 || families.some((f) => f !== 4 && f !== 6)) {
    throw bad('families', 'must be a non-empty array of 4 and/or 6');
  }
  checkType(options.hairpin, 'boolean', 'hairpin');
  checkType(options.onProgress, 'function', 'onProgress');
  return {
    servers: servers as readonly (Endpoint | string)[],
    families,
    familiesGiven: options.families !== undefined,
    hairpin: options.hairpin ?? false,
    lifetimeMaxSeconds: lifetimeSeconds(options.lifetime),
    timeoutMs: Math.max(50, checkNumber(options.timeoutMs ?? 2000, 'timeoutMs', { min: 1, max: 600_000 })),
    allocationSockets: checkNumber(options.allocationSockets ?? 4, 'allocationSockets', { min: 0, max: 16, integer: true }),
  };
}

/** A server entry: a string (parsed later) or an endpoint with an IP literal and a port. */
export function checkServer(s: unknown): void {
  if (typeof s === 'string') return;
  if (typeof s !== 'object' || s === null) throw new DiagnosisError('ERR_BAD_SERVER', `bad server ${describeValue(s)}: give 'host:port' or { address, port }`);
  const { address, port } = s as { address?: unknown; port?: unknown };
  if (typeof address !== 'string' || familyOf(address) === undefined) {
    throw new DiagnosisError('ERR_BAD_SERVER', `bad server address ${describeValue(address)}: an endpoint needs an IP literal (give host names as 'host:port' strings)`);
  }
  const problem = portProblem(port);
  if (problem !== undefined) throw new DiagnosisError('ERR_BAD_PORT', `bad server ${address}: ${problem}`);
}

function lifetimeSeconds(lifetime: DiagnoseOptions['lifetime']): number | null {
  if (lifetime === undefined || lifetime === false) return null;
  if (lifetime === true) return 300;
  if (typeof lifetime !== 'object' || lifetime === null) throw bad('lifetime', 'must be a boolean or { maxSeconds }');
  return checkNumber(lifetime.maxSeconds, 'lifetime.maxSeconds', { min: 1, max: 3600 });
}

function checkNumber(value: unknown, what: string, range: { min: number; max: number; integer?: boolean }): number {
  const problem = numberProblem(value, range);
  if (problem !== undefined) throw bad(what, problem);
  return value as number;
}

function checkType(value: unknown, type: 'boolean' | 'function', what: string): void {
  if (value !== undefined && typeof value !== type) throw bad(what, `must be a ${type}, not ${describeValue(value)}`);
}
