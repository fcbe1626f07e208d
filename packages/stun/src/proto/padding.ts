import { StunEncodeError } from '../errors.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { ATTRIBUTE_HEADER_LENGTH, AttributeType, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './constants.js';
import { FINGERPRINT_ATTRIBUTE_LENGTH } from './fingerprint.js';
import type { StunMessage } from './message.js';

/**
 * Largest PADDING value we encode: a message of the header, PADDING and FINGERPRINT alone must
 * still fit one UDP datagram within 64 KiB (RFC 5780 §7.6; MAX_MESSAGE_LENGTH), as a multiple
 * of 4: 65,472 bytes, for a 65,504-byte message.
 */
export const MAX_PADDING_LENGTH = (MAX_MESSAGE_LENGTH - HEADER_LENGTH - ATTRIBUTE_HEADER_LENGTH - FINGERPRINT_ATTRIBUTE_LENGTH) & ~3;

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
