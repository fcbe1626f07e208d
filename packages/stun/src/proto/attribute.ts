import { isComprehensionRequired } from './constants.js';
import type { RawAttribute, StunMessage } from './message.js';

/**
 * An attribute to encode. `value` is the unpadded value, or a function of the message's
 * transaction id (XOR-MAPPED-ADDRESS needs it for IPv6).
 */
export interface AttributeSpec {
  readonly type: number;
  readonly value: Uint8Array | ((transactionId: Uint8Array) => Uint8Array);
}

/** The first attribute of `type`, or undefined. RFC 8489 §14: later duplicates are ignored. */
export function getAttribute(m: StunMessage, type: number): RawAttribute | undefined {
  const attributes = m.attributes;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i];
    if (a !== undefined && a.type === type) return a;
  }
  return undefined;
}

/**
 * The comprehension-required types (0x0000-0x7FFF) of `m` that are not in `known`, each once,
 * in order of appearance: the content of a 420 response's UNKNOWN-ATTRIBUTES. RFC 8489 §14
 */
export function unknownComprehensionRequired(m: StunMessage, known: ReadonlySet<number>): number[] {
  const unknown: number[] = [];
  for (const a of m.attributes) {
    if (isComprehensionRequired(a.type) && !known.has(a.type) && !unknown.includes(a.type)) {
      unknown.push(a.type);
    }
  }
  return unknown;
}
