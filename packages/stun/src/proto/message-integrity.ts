import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  AttributeType,
  ATTRIBUTE_HEADER_LENGTH,
  HEADER_LENGTH,
  MESSAGE_INTEGRITY_LENGTH,
  MESSAGE_INTEGRITY_SHA256_LENGTH,
  MESSAGE_INTEGRITY_SHA256_MIN_LENGTH,
} from './constants.js';
import { getAttribute } from './attribute.js';
import type { StunMessage } from './message.js';

/**
 * HMAC over the message up to an integrity attribute at `offset` whose value is
 * `valueLength` bytes, with the header's length field set as if that attribute were last.
 * RFC 8489 §14.5 and §14.6
 */
export function integrityHmac(
  algorithm: 'sha1' | 'sha256',
  key: Uint8Array,
  bytes: Uint8Array,
  offset: number,
  valueLength: number,
): Uint8Array {
  const header = new Uint8Array(bytes.subarray(0, HEADER_LENGTH)); // a copy, even of a Buffer
  const length = offset + ATTRIBUTE_HEADER_LENGTH + valueLength - HEADER_LENGTH;
  header[2] = length >> 8;
  header[3] = length & 0xff;
  return createHmac(algorithm, key).update(header).update(bytes.subarray(HEADER_LENGTH, offset)).digest();
}

/**
 * Checks MESSAGE-INTEGRITY (HMAC-SHA1) with `key` (the password for short-term credentials,
 * `longTermKey(...)` for long-term ones). Undefined when absent, false when wrong or malformed.
 * Attributes after it (other than FINGERPRINT) are ignored, as RFC 8489 §14.5 says.
 */
export function verifyMessageIntegrity(m: StunMessage, key: Uint8Array): boolean | undefined {
  const a = getAttribute(m, AttributeType.MessageIntegrity);
  if (a === undefined) return undefined;
  if (a.value.length !== MESSAGE_INTEGRITY_LENGTH) return false;
  const expected = integrityHmac('sha1', key, m.raw, a.offset, MESSAGE_INTEGRITY_LENGTH);
  return timingSafeEqual(expected, a.value);
}

/**
 * Checks MESSAGE-INTEGRITY-SHA256, which may be truncated to 16-32 bytes in steps of 4
 * (RFC 8489 §14.6). Undefined when absent, false when wrong or malformed.
 */
export function verifyMessageIntegritySha256(m: StunMessage, key: Uint8Array): boolean | undefined {
  const a = getAttribute(m, AttributeType.MessageIntegritySha256);
  if (a === undefined) return undefined;
  const n = a.value.length;
  if (n < MESSAGE_INTEGRITY_SHA256_MIN_LENGTH || n > MESSAGE_INTEGRITY_SHA256_LENGTH || n % 4 !== 0) return false;
  const expected = integrityHmac('sha256', key, m.raw, a.offset, n).subarray(0, n);
  return timingSafeEqual(expected, a.value);
}
