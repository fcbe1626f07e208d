import { getRandomValues } from 'node:crypto';
import { TRANSACTION_ID_LENGTH } from './constants.js';

/**
 * A new 96-bit transaction id, "uniformly and randomly chosen" (RFC 8489 §5). Pass `random` to
 * make it deterministic in tests; it must return `n` bytes.
 */
export function createTransactionId(random?: (n: number) => Uint8Array): Uint8Array {
  if (random === undefined) return getRandomValues(new Uint8Array(TRANSACTION_ID_LENGTH));
  const bytes = random(TRANSACTION_ID_LENGTH);
  return bytes.length === TRANSACTION_ID_LENGTH
    ? bytes
    : Uint8Array.from({ length: TRANSACTION_ID_LENGTH }, (_, i) => bytes[i] ?? 0);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of a transaction id (12 or 16 bytes): a key for maps. */
export function transactionKey(id: Uint8Array): string {
  let s = '';
  for (let i = 0; i < id.length; i++) s += HEX[id[i] ?? 0] ?? '';
  return s;
}
