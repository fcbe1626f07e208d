/**
 * Judge 2: the classic RFC 3489 client from Debian's stun-client (Vovida 0.97, command `stun`).
 * It prints one verdict line and a return value, and exits with the same value's low byte:
 *
 *   Primary: Independent Mapping, Port Dependent Filter, preserves ports, no hairpin
 *   Return value is 0x000017
 *
 * Return value (client.cxx): base type 0x00 Open, 0x02 Independent Mapping + Independent Filter,
 * 0x04 + Address Dependent Filter, 0x06 + Port Dependent Filter, 0x08 Dependent Mapping,
 * 0x0A Firewall, 0x0C Blocked, 0x0E unknown; then |0x10 when it does NOT hairpin, |0x01 when it
 * preserves ports. "Some stun error" exits -1 (255).
 */
import type { Lab } from '../harness/lab.js';
import { requireTool } from '../harness/tools.js';

export type ClassicNatType =
  | 'open-internet'
  | 'full-cone'
  | 'restricted-cone'
  | 'port-restricted-cone'
  | 'symmetric'
  | 'symmetric-firewall'
  | 'blocked'
  | 'unknown'
  | 'error';

export interface StunClientResult {
  /** The verdict from the printed text. */
  classic: ClassicNatType;
  /** The verdict decoded from the exit code; equal to `classic` when the two agree. */
  classicFromCode: ClassicNatType;
  preservesPorts?: boolean;
  hairpin?: boolean;
  verdictLine: string;
  returnValue?: number;
  exitCode: number | null;
  durationMs: number;
  raw: string;
}

const textVerdicts: readonly [string, ClassicNatType][] = [
  ['Independent Mapping, Independent Filter', 'full-cone'],
  ['Independent Mapping, Address Dependent Filter', 'restricted-cone'],
  ['Independent Mapping, Port Dependent Filter', 'port-restricted-cone'],
  ['Dependent Mapping', 'symmetric'],
  ['Open', 'open-internet'],
  ['Firewall', 'symmetric-firewall'],
  ['Blocked or could not reach STUN server', 'blocked'],
  ['Some stun error', 'error'],
];

const codeVerdicts: Record<number, ClassicNatType> = {
  0x00: 'open-internet',
  0x02: 'full-cone',
  0x04: 'restricted-cone',
  0x06: 'port-restricted-cone',
  0x08: 'symmetric',
  0x0a: 'symmetric-firewall',
  0x0c: 'blocked',
  0x0e: 'unknown',
};

/** Decodes the client's exit code (the low byte of its "Return value"). */
export function decodeStunClientCode(code: number): { classic: ClassicNatType; hairpin: boolean; preservesPorts: boolean } {
  if (code === 255) return { classic: 'error', hairpin: false, preservesPorts: false };
  return { classic: codeVerdicts[code & 0x0e] ?? 'unknown', hairpin: (code & 0x10) === 0, preservesPorts: (code & 0x01) !== 0 };
}

export function parseStunClient(raw: string, meta: { exitCode?: number | null; durationMs?: number } = {}): StunClientResult {
  const verdictLine = /^(?:Primary|Secondary): (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
  const classic = textVerdicts.find(([prefix]) => verdictLine.startsWith(prefix))?.[1] ?? 'unknown';
  const exitCode = meta.exitCode ?? null;
  const returnText = /Return value is 0x([0-9a-f]+)/i.exec(raw)?.[1];
  const result: StunClientResult = {
    classic,
    classicFromCode: exitCode === null ? 'unknown' : decodeStunClientCode(exitCode).classic,
    verdictLine,
    exitCode,
    durationMs: meta.durationMs ?? 0,
    raw,
  };
  if (returnText !== undefined) result.returnValue = Number.parseInt(returnText, 16);
  if (/, preserves ports/.test(verdictLine)) result.preservesPorts = true;
  else if (/, random port/.test(verdictLine)) result.preservesPorts = false;
  if (/, will hairpin/.test(verdictLine)) result.hairpin = true;
  else if (/, no hairpin/.test(verdictLine)) result.hairpin = false;
  return result;
}

/** Runs `stun <server> -v` in hostNs. */
export async function runStunClient(lab: Lab, hostNs: string, server: string, options: { timeoutMs?: number } = {}): Promise<StunClientResult> {
  const result = await lab.exec(hostNs, [requireTool('stun'), server, '-v'], { timeoutMs: options.timeoutMs ?? 30_000 });
  if (result.timedOut) throw new Error(`stun client timed out in ${hostNs}:\n${result.stdout}${result.stderr}`);
  return parseStunClient(result.stdout + result.stderr, { exitCode: result.code, durationMs: result.durationMs });
}
