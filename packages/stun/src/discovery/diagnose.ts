import { lookup } from 'node:dns/promises';
import {
  createNodeNetwork,
  familyOf,
  parseHostPort,
  silentLogger,
  systemClock,
  type Clock,
  type Endpoint,
  type Family,
  type Logger,
  type Network,
} from '@natkit/net';
import { DiagnosisError } from '../errors.js';
import { formatIp, parseIp } from '../proto/index.js';
import { diagnoseFamily } from './diagnose-family.js';
import { checkDiagnoseOptions, checkServer, type DiagnoseOptions } from './diagnose-options.js';
import type { DiscoveryComponents } from './probe-context.js';
import type { DiagnosisProgress, DiagnosisReport } from './types.js';

export type { DiagnoseOptions } from './diagnose-options.js';

/** The IANA STUN port (RFC 8489 §18.7). */
export const DEFAULT_STUN_PORT = 3478;

/** What `diagnose` needs from outside; every field has a default. */
export interface DiagnoseComponents {
  /** Sockets; default `createNodeNetwork()`. */
  readonly network?: Network;
  /** Time and timers; default `systemClock`. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Source of transaction ids; default crypto.getRandomValues. */
  readonly random?: (n: number) => Uint8Array;
  /** Resolves a host name; default: the system resolver. */
  readonly resolve?: (host: string) => Promise<readonly { address: string; family: number }[]>;
}

const systemResolve = (host: string): Promise<readonly { address: string; family: number }[]> =>
  lookup(host, { all: true, verbatim: true });

/**
 * An IP literal in canonical text (RFC 5952 for IPv6: lower case, zeros compressed), as sockets
 * report the source of an answer: the two are compared as text, so `2001:0db8:0::1` typed by a
 * user would make every answer from 2001:db8::1 look like one from a wrong source. A scoped
 * (`%zone`) address is left as given: its zone must stay.
 */
function canonical(e: Endpoint): Endpoint {
  if (e.address.includes('%')) return e;
  const bytes = parseIp(e.address);
  return bytes === undefined ? e : { address: formatIp(bytes), port: e.port };
}

// getaddrinfo's codes in plain words (Node puts them in `code`, and in the message).
const resolveFailures: readonly (readonly [string, string])[] = [
  ['ENOTFOUND', 'no such name'],
  ['EAI_AGAIN', 'no answer from DNS (offline, or DNS blocked?)'],
  ['ENODATA', 'the name has no address'],
  ['EAI_FAIL', 'DNS refused the query'],
];

/** `cannot resolve HOST: <plain words> (<the resolver's own text>)`. */
function resolveFailure(host: string, e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  const known = resolveFailures.find(([c]) => c === code || raw.includes(c));
  return known === undefined ? `cannot resolve ${host}: ${raw}` : `cannot resolve ${host}: ${known[1]} (${raw})`;
}

/** At most this many servers per diagnosis (each costs sockets and transactions). */
export const MAX_SERVERS = 8;

/**
 * Turns the server list into endpoints (IP literals in canonical form), resolving names. A
 * malformed entry or more than MAX_SERVERS throws DiagnosisError (ERR_BAD_SERVER); a name that
 * does not resolve is a warning as long as another server is left (else ERR_RESOLVE).
 */
export async function resolveServers(
  given: DiagnoseOptions['servers'],
  resolve: DiagnoseComponents['resolve'] = systemResolve,
  warnings: string[] = [],
): Promise<Endpoint[]> {
  const servers: readonly (Endpoint | string)[] = Array.isArray(given) ? given : [given as Endpoint | string];
  if (servers.length > MAX_SERVERS) throw new DiagnosisError('ERR_BAD_SERVER', `at most ${MAX_SERVERS} servers, not ${servers.length}`);
  const out: Endpoint[] = [];
  const failures: string[] = [];
  for (const s of servers) {
    checkServer(s);
    if (typeof s !== 'string') {
      out.push({ address: s.address, port: s.port });
      continue;
    }
    const parsed = parseHostPort(s, DEFAULT_STUN_PORT);
    if (!parsed.ok) {
      const code = /port/.test(parsed.reason) ? 'ERR_BAD_PORT' : 'ERR_BAD_SERVER';
      throw new DiagnosisError(code, `bad server '${s}': ${parsed.reason}`);
    }
    if (familyOf(parsed.host) !== undefined) {
      out.push({ address: parsed.host, port: parsed.port });
      continue;
    }
    try {
      for (const a of await resolve(parsed.host)) out.push({ address: a.address, port: parsed.port });
    } catch (e) {
      failures.push(resolveFailure(parsed.host, e));
    }
  }
  const canon = out.map(canonical);
  const unique = canon.filter((e, i) => canon.findIndex((o) => o.address === e.address && o.port === e.port) === i);
  if (unique.length === 0 && failures.length > 0) throw new DiagnosisError('ERR_RESOLVE', failures.join('; '));
  if (unique.length === 0) throw new DiagnosisError('ERR_NO_SERVERS', 'no STUN server to test against');
  warnings.push(...failures);
  return unique;
}

/**
 * Diagnoses the NAT/PAT between this host and the servers, per address family, in parallel:
 * RFC 4787 mapping and filtering (RFC 5780 tests), port preservation and allocation pattern,
 * optional hairpinning and mapping lifetime, the RFC 3489 name and a hole-punching outlook.
 *
 * Every option is checked first: a bad one rejects with DiagnosisError `ERR_BAD_OPTION`,
 * `ERR_BAD_SERVER` or `ERR_BAD_PORT`; no server of the families asked for, `ERR_NO_SERVERS`.
 *
 * @example
 * ```ts
 * import { diagnose } from '@natkit/stun';
 * const report = await diagnose({ servers: '198.51.100.1:3478', families: [4] });
 * if (report.ipv4 !== null) console.log(report.ipv4.classic, report.ipv4.outlook.verdict);
 * ```
 */
export async function diagnose(options: DiagnoseOptions, components: DiagnoseComponents = {}): Promise<DiagnosisReport> {
  const checked = checkDiagnoseOptions(options);
  options.signal?.throwIfAborted();
  const discovery: DiscoveryComponents = {
    network: components.network ?? createNodeNetwork(),
    clock: components.clock ?? systemClock,
    ...(components.logger === undefined ? {} : { logger: components.logger }),
    ...(components.random === undefined ? {} : { random: components.random }),
  };
  const started = discovery.clock.now();
  const warnings: string[] = [];
  const servers = await resolveServers(checked.servers, components.resolve, warnings);
  const tested = testedFamilies(servers, checked.families, checked.familiesGiven, warnings);
  const familyOptions = {
    hairpin: checked.hairpin,
    lifetimeMaxSeconds: checked.lifetimeMaxSeconds,
    timeoutMs: checked.timeoutMs,
    allocationSockets: checked.allocationSockets,
    ...(options.onProgress === undefined ? {} : { onProgress: isolated(options.onProgress, components.logger ?? silentLogger) }),
  };
  const run = (family: Family): Promise<null> | ReturnType<typeof diagnoseFamily> => {
    if (!tested.includes(family)) return Promise.resolve(null);
    const ofFamily = servers.filter((s) => familyOf(s.address) === family);
    return diagnoseFamily(family, ofFamily, familyOptions, discovery, options.signal);
  };
  const [ipv4, ipv6] = await Promise.all([run(4), run(6)]);
  return { schemaVersion: 1, durationMs: Math.round(discovery.clock.now() - started), ipv4, ipv6, warnings };
}

/**
 * The families that have a server. Nothing to test rejects (`ERR_NO_SERVERS`); a family the
 * caller asked for by name that has no server is a warning.
 */
function testedFamilies(servers: readonly Endpoint[], families: readonly Family[], given: boolean, warnings: string[]): Family[] {
  const tested = families.filter((f) => servers.some((s) => familyOf(s.address) === f));
  const untested = families.filter((f) => !tested.includes(f));
  if (tested.length === 0) {
    throw new DiagnosisError('ERR_NO_SERVERS', `no server of the families asked for (IPv${families.join(', IPv')}): nothing can be tested`);
  }
  if (given) for (const f of untested) warnings.push(`no IPv${f} server: IPv${f} not tested`);
  return tested;
}

/** A progress listener that cannot break the diagnosis: what it throws is logged and dropped. */
function isolated(listener: (p: DiagnosisProgress) => void, logger: Logger): (p: DiagnosisProgress) => void {
  return (p) => {
    try {
      listener(p);
    } catch (e) {
      logger.child('stun:discovery').warn('onProgress listener threw; ignored', { error: e instanceof Error ? e.message : String(e) });
    }
  };
}
