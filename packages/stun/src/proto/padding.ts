import { StunEncodeError } from '../errors.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType, HEADER_LENGTH } from './constants.js';
import type { StunMessage } from './message.js';

/**
 * Largest PADDING value we encode: the whole message must fit the 16-bit length field
 * (RFC 8489 §5), and RFC 5780 §7.6 caps the datagram at 64K.
 */
export const MAX_PADDING_LENGTH = 0xffff - HEADER_LENGTH - 4 - 3;

/** PADDING of `length` zero bytes: its content does not matter. RFC 5780 §7.6 */
export function padding(length: number): AttributeSpec {
  if (!Number.isInteger(length) || length < 0 || length > MAX_PADDING_LENGTH) {
    throw new StunEncodeError(`PADDING length out of range: ${length}`);
  }
  return { type: AttributeType.Padding, value: new Uint8Array(length) };
}

/** The length of the PADDING value of `m`; undefined when absent. RFC 5780 §7.6 */
export function readPaddingLength(m: StunMessage): number | undefined {
  return getAttribute(m, AttributeType.Padding)?.value.length;
}
