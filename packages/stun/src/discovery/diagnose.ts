import { lookup } from 'node:dns/promises';
import { familyOf, parseHostPort, type Endpoint, type Family } from '@natkit/net';
import { DiagnosisError } from '../errors.js';
import { formatIp, parseIp } from '../proto/index.js';
import { diagnoseFamily } from './diagnose-family.js';
import type { DiscoveryComponents } from './probe-context.js';
import type { DiagnosisProgress, DiagnosisReport } from './types.js';

/** The IANA STUN port (RFC 8489 §18.7). */
export const DEFAULT_STUN_PORT = 3478;

export interface DiagnoseOptions {
  /** Servers as endpoints or `host[:port]` / `[v6]:port` strings. The first RFC 5780 one leads. */
  readonly servers: readonly (Endpoint | string)[];
  /** Families to test; default both. A family with no server address is reported as null. */
  readonly families?: readonly Family[];
  /** Test hairpinning (opt-in: some firewalls flag packets to one's own address). */
  readonly hairpin?: boolean;
  /** Measure the mapping lifetime (opt-in: it takes minutes). `true` means up to 300 s. */
  readonly lifetime?: boolean | { readonly maxSeconds: number };
  /** Budget for the first answer from the servers, ms (default 2000). */
  readonly timeoutMs?: number;
  /** Fresh sockets that sample the port allocation (default 4). */
  readonly allocationSockets?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: DiagnosisProgress) => void;
}

export interface DiagnoseComponents extends DiscoveryComponents {
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
  servers: readonly (Endpoint | string)[],
  resolve: DiagnoseComponents['resolve'] = systemResolve,
  warnings: string[] = [],
): Promise<Endpoint[]> {
  if (servers.length > MAX_SERVERS) throw new DiagnosisError('ERR_BAD_SERVER', `at most ${MAX_SERVERS} servers, not ${servers.length}`);
  const out: Endpoint[] = [];
  const failures: string[] = [];
  for (const s of servers) {
    if (typeof s !== 'string') {
      out.push(s);
      continue;
    }
    const parsed = parseHostPort(s, DEFAULT_STUN_PORT);
    if (!parsed.ok) throw new DiagnosisError('ERR_BAD_SERVER', `bad server '${s}': ${parsed.reason}`);
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
 * @example
 * ```ts
 * import { createNodeNetwork, systemClock } from '@natkit/net';
 * import { diagnose } from '@natkit/stun';
 * const report = await diagnose({ servers: ['203.0.113.1:3478'] }, { network: createNodeNetwork(), clock: systemClock });
 * console.log(report.ipv4?.classic, report.ipv4?.outlook.verdict);
 * ```
 */
export async function diagnose(options: DiagnoseOptions, components: DiagnoseComponents): Promise<DiagnosisReport> {
  options.signal?.throwIfAborted();
  const started = components.clock.now();
  const warnings: string[] = [];
  const servers = await resolveServers(options.servers, components.resolve, warnings);
  const families = options.families ?? [4, 6];
  const lifetimeMaxSeconds =
    options.lifetime === undefined || options.lifetime === false
      ? null
      : options.lifetime === true
        ? 300
        : Math.max(1, options.lifetime.maxSeconds);
  const familyOptions = {
    hairpin: options.hairpin ?? false,
    lifetimeMaxSeconds,
    timeoutMs: Math.max(50, options.timeoutMs ?? 2000),
    allocationSockets: Math.min(16, Math.max(0, options.allocationSockets ?? 4)),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  const run = (family: Family): Promise<null> | ReturnType<typeof diagnoseFamily> => {
    const ofFamily = servers.filter((s) => familyOf(s.address) === family);
    if (!families.includes(family) || ofFamily.length === 0) return Promise.resolve(null);
    return diagnoseFamily(family, ofFamily, familyOptions, components, options.signal);
  };
  const [ipv4, ipv6] = await Promise.all([run(4), run(6)]);
  return { schemaVersion: 1, durationMs: Math.round(components.clock.now() - started), ipv4, ipv6, warnings };
}
