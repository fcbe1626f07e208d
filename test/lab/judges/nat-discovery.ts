/**
 * Judge 1: coturn's `turnutils_natdiscovery` (RFC 5780 mapping and filtering discovery), run in
 * a lab namespace. Output format (coturn src/apps/natdiscovery/natdiscovery.c, 4.6.1):
 *
 *   -= Mapping Behavior Discovery =-            section header (also Filtering, Hairpinning, ...)
 *   RFC 5780 response 1                          one block per answered request
 *   0: : IPv4. UDP reflexive addr: 203.0.113.10:57563
 *   No ALG: Mapped == XOR-Mapped                 (or "-= ALG detected! Mapped and XOR-Mapped differ! =-")
 *   STUN receive timeout..                       a request went unanswered (3 s SO_RCVTIMEO)
 *   No NAT! (Endpoint Independent Mapping)       local address == reflexive (needs -L)
 *   NAT with {Endpoint Independent|Address Dependent|Address and Port Dependent} Mapping!
 *   NAT with {Endpoint Independent|Address Dependent|Address and Port Dependent} Filtering!
 *   Received a request (maybe a successful hairpinning)
 *
 * When the first request of a test is not answered (UDP blocked) no verdict line is printed.
 */
import type { Lab } from '../harness/lab.js';
import { requireTool } from '../harness/tools.js';

export type Behavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown';

export interface NatDiscoveryResult {
  mapping: Behavior;
  filtering: Behavior;
  /** "No NAT!" was printed: the reflexive address equals the local one. */
  noNat: boolean;
  /** Only when run with hairpinning: did the first socket receive the second's request? */
  hairpinning?: boolean;
  reflexiveAddresses: string[];
  /** "-= ALG detected! Mapped and XOR-Mapped differ! =-" was printed. */
  algDetected: boolean;
  timeouts: number;
  durationMs: number;
  exitCode: number | null;
  raw: string;
}

const verdicts: readonly [RegExp, Behavior][] = [
  [/NAT with Endpoint Independent (Mapping|Filtering)!/, 'endpoint-independent'],
  [/NAT with Address Dependent (Mapping|Filtering)!/, 'address-dependent'],
  [/NAT with Address and Port Dependent (Mapping|Filtering)!/, 'address-and-port-dependent'],
];

/** Splits the output at its "-= X Behavior Discovery =-" headers. */
function sections(raw: string): Map<string, string> {
  const found = new Map<string, string>();
  const header = /^-= (.+?) Behavior Discovery =-$/gm;
  const marks = [...raw.matchAll(header)];
  marks.forEach((mark, i) => {
    const end = marks[i + 1]?.index ?? raw.length;
    found.set(mark[1]!.toLowerCase(), raw.slice(mark.index, end));
  });
  return found;
}

function verdict(section: string | undefined, kind: 'Mapping' | 'Filtering'): Behavior {
  if (section === undefined) return 'unknown';
  for (const [pattern, behavior] of verdicts) {
    const match = pattern.exec(section);
    if (match && match[1] === kind) return behavior;
  }
  return 'unknown';
}

export function parseNatDiscovery(raw: string, meta: { durationMs?: number; exitCode?: number | null } = {}): NatDiscoveryResult {
  const parts = sections(raw);
  const result: NatDiscoveryResult = {
    mapping: verdict(parts.get('mapping'), 'Mapping'),
    filtering: verdict(parts.get('filtering'), 'Filtering'),
    noNat: /No NAT! \(Endpoint Independent Mapping\)/.test(raw),
    reflexiveAddresses: [...raw.matchAll(/UDP reflexive addr:?\s*:?\s*(\S+)/g)].map((m) => m[1]!),
    algDetected: /ALG detected!/.test(raw),
    timeouts: (raw.match(/STUN receive timeout/g) ?? []).length,
    durationMs: meta.durationMs ?? 0,
    exitCode: meta.exitCode ?? null,
    raw,
  };
  const hairpin = parts.get('hairpinning');
  if (hairpin !== undefined) result.hairpinning = /Received a request \(maybe a successful hairpinning\)/.test(hairpin);
  return result;
}

export interface NatDiscoveryOptions {
  /** Mapping discovery (-m); default true. */
  mapping?: boolean;
  /** Filtering discovery (-f); default true. */
  filtering?: boolean;
  /** Hairpinning discovery (-H, up to 6 s more); default false. */
  hairpinning?: boolean;
  /** Bind to this local address (-L); defaults to the lab host's address, so "No NAT!" is detectable. */
  localAddress?: string;
  port?: number;
  timeoutMs?: number;
}

/** Runs `turnutils_natdiscovery [-m] [-f] [-H] [-L local] [-p port] <server>` in hostNs. */
export async function runNatDiscovery(lab: Lab, hostNs: string, server: string, options: NatDiscoveryOptions = {}): Promise<NatDiscoveryResult> {
  const host = Object.values(lab.hosts).find((candidate) => candidate.ns === hostNs);
  const localAddress = options.localAddress ?? host?.address;
  const argv = [requireTool('turnutils_natdiscovery')];
  if (options.mapping ?? true) argv.push('-m');
  if (options.filtering ?? true) argv.push('-f');
  if (options.hairpinning) argv.push('-H');
  if (localAddress !== undefined) argv.push('-L', localAddress);
  if (options.port !== undefined) argv.push('-p', String(options.port));
  argv.push(server);
  const result = await lab.exec(hostNs, argv, { timeoutMs: options.timeoutMs ?? 30_000 });
  if (result.timedOut) throw new Error(`turnutils_natdiscovery timed out in ${hostNs}:\n${result.stdout}${result.stderr}`);
  return parseNatDiscovery(result.stdout + result.stderr, { durationMs: result.durationMs, exitCode: result.code });
}
