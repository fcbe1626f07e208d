import { AttributeType, getAttribute, type AttributeSpec, type StunMessage } from '@natkit/stun';

/** Password algorithm numbers. RFC 8489 §18.5 */
export const PasswordAlgorithm = {
  /** RFC 8489 §18.5.1.1 */
  Md5: 0x0001,
  /** RFC 8489 §18.5.1.2 */
  Sha256: 0x0002,
} as const;

/** One algorithm with its parameters (none for MD5 and SHA-256). RFC 8489 §14.11 */
export interface AlgorithmEntry {
  readonly algorithm: number;
  readonly parameters: Uint8Array;
}

/** Most entries decoded from one PASSWORD-ALGORITHMS (a local limit against hostile input). */
const MAX_ENTRIES = 16;

function encodeEntries(entries: readonly AlgorithmEntry[]): Uint8Array {
  const size = entries.reduce((n, e) => n + 4 + ((e.parameters.length + 3) & ~3), 0);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    out[at] = e.algorithm >> 8;
    out[at + 1] = e.algorithm & 0xff;
    out[at + 2] = e.parameters.length >> 8;
    out[at + 3] = e.parameters.length & 0xff;
    out.set(e.parameters, at + 4);
    at += 4 + ((e.parameters.length + 3) & ~3);
  }
  return out;
}

/** Decodes a list of algorithm entries; undefined when malformed. */
function decodeEntries(value: Uint8Array): AlgorithmEntry[] | undefined {
  const out: AlgorithmEntry[] = [];
  let at = 0;
  while (at < value.length) {
    if (at + 4 > value.length || out.length >= MAX_ENTRIES) return undefined;
    const algorithm = ((value[at] ?? 0) << 8) | (value[at + 1] ?? 0);
    const length = ((value[at + 2] ?? 0) << 8) | (value[at + 3] ?? 0);
    const next = at + 4 + ((length + 3) & ~3);
    if (at + 4 + length > value.length) return undefined;
    out.push({ algorithm, parameters: value.subarray(at + 4, at + 4 + length) });
    at = next;
  }
  return out;
}

/** PASSWORD-ALGORITHMS: the algorithms the server offers, in preference order. RFC 8489 §14.11 */
export function passwordAlgorithms(entries: readonly AlgorithmEntry[]): AttributeSpec {
  return { type: AttributeType.PasswordAlgorithms, value: encodeEntries(entries) };
}

/** PASSWORD-ALGORITHMS of `m`; undefined when absent, 'malformed' when it does not decode. */
export function readPasswordAlgorithms(m: StunMessage): AlgorithmEntry[] | 'malformed' | undefined {
  const a = getAttribute(m, AttributeType.PasswordAlgorithms);
  if (a === undefined) return undefined;
  return decodeEntries(a.value) ?? 'malformed';
}

/** PASSWORD-ALGORITHM: the one the client chose. RFC 8489 §14.12 */
export function passwordAlgorithm(entry: AlgorithmEntry): AttributeSpec {
  return { type: AttributeType.PasswordAlgorithm, value: encodeEntries([entry]) };
}

/** PASSWORD-ALGORITHM of `m`; undefined when absent, 'malformed' unless exactly one entry. */
export function readPasswordAlgorithm(m: StunMessage): AlgorithmEntry | 'malformed' | undefined {
  const a = getAttribute(m, AttributeType.PasswordAlgorithm);
  if (a === undefined) return undefined;
  const entries = decodeEntries(a.value);
  return entries?.length === 1 && entries[0] !== undefined ? entries[0] : 'malformed';
}

/** True when both lists name the same algorithms with the same parameters, in order. */
export function sameAlgorithms(a: readonly AlgorithmEntry[], b: readonly AlgorithmEntry[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    return y !== undefined && x.algorithm === y.algorithm && Buffer.compare(x.parameters, y.parameters) === 0;
  });
}
