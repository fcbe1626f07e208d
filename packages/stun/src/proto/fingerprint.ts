import { AttributeType, FINGERPRINT_XOR, HEADER_LENGTH } from './constants.js';
import { crc32 } from './crc32.js';
import { readUint32 } from './decode-message.js';
import type { StunMessage } from './message.js';

/** Size of the FINGERPRINT attribute with its header. RFC 8489 §14.7 */
export const FINGERPRINT_ATTRIBUTE_LENGTH = 8;

/**
 * The FINGERPRINT value for a message whose bytes up to the FINGERPRINT attribute are
 * `bytes[0, end)` (the length field already counting FINGERPRINT). RFC 8489 §14.7
 */
export function computeFingerprint(bytes: Uint8Array, end: number): number {
  return (crc32(bytes, 0, end) ^ FINGERPRINT_XOR) >>> 0;
}

/**
 * Checks FINGERPRINT: undefined when absent, false when wrong, malformed, or not the last
 * attribute (RFC 8489 §14.7 requires it last).
 */
export function verifyFingerprint(m: StunMessage): boolean | undefined {
  const attributes = m.attributes;
  let index = -1;
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i]?.type === AttributeType.Fingerprint) {
      index = i;
      break;
    }
  }
  if (index < 0) return undefined;
  const a = attributes[index];
  if (a === undefined || index !== attributes.length - 1 || a.value.length !== 4) return false;
  if (a.offset < HEADER_LENGTH) return false;
  return computeFingerprint(m.raw, a.offset) === readUint32(a.value, 0);
}
