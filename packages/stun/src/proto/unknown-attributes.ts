import { StunEncodeError } from '../errors.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';

/** UNKNOWN-ATTRIBUTES: the 16-bit types a 420 response did not understand. RFC 8489 §14.13 */
export function unknownAttributes(types: readonly number[]): AttributeSpec {
  const value = new Uint8Array(types.length * 2);
  types.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw new StunEncodeError(`bad attribute type ${t}`);
    value[2 * i] = t >> 8;
    value[2 * i + 1] = t & 0xff;
  });
  return { type: AttributeType.UnknownAttributes, value };
}

/**
 * UNKNOWN-ATTRIBUTES for an RFC 3489 client: an odd count has one type repeated, so that the
 * length is a multiple of 4 (RFC 3489 §11.2.10).
 */
export function legacyUnknownAttributes(types: readonly number[]): AttributeSpec {
  const last = types[types.length - 1];
  return unknownAttributes(types.length % 2 === 1 && last !== undefined ? [...types, last] : types);
}

/** The types listed in UNKNOWN-ATTRIBUTES; undefined when absent or of odd length. */
export function readUnknownAttributes(m: StunMessage): number[] | undefined {
  const a = getAttribute(m, AttributeType.UnknownAttributes);
  if (a === undefined || a.value.length % 2 !== 0) return undefined;
  const types: number[] = [];
  for (let i = 0; i < a.value.length; i += 2) types.push(((a.value[i] ?? 0) << 8) | (a.value[i + 1] ?? 0));
  return types;
}
