import { StunEncodeError } from '../errors.js';
import { getAttribute, type AttributeSpec } from './attribute.js';
import { AttributeType } from './constants.js';
import type { StunMessage } from './message.js';
import { decodeText, encodeText, MAX_TEXT_CHARACTERS, MAX_TEXT_DECODE_BYTES, MAX_TEXT_ENCODE_BYTES } from './text.js';

/** Error codes used by the STUN usages here. RFC 8489 §14.8, RFC 5780 §6 */
export const ErrorCodes = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  UnknownAttribute: 420,
  StaleNonce: 438,
  ServerError: 500,
} as const;

/**
 * ERROR-CODE: class (3-6) and number (0-99) of a code 300-699, then a UTF-8 reason phrase.
 * RFC 8489 §14.8. Throws StunEncodeError for a code out of range or an over-long reason.
 */
export function errorCode(code: number, reason: string): AttributeSpec {
  if (!Number.isInteger(code) || code < 300 || code > 699) {
    throw new StunEncodeError(`error code out of range 300-699: ${code}`);
  }
  const text = encodeText('ERROR-CODE reason', reason, MAX_TEXT_ENCODE_BYTES, MAX_TEXT_CHARACTERS);
  const value = new Uint8Array(4 + text.length);
  value[2] = Math.floor(code / 100);
  value[3] = code % 100;
  value.set(text, 4);
  return { type: AttributeType.ErrorCode, value };
}

/**
 * ERROR-CODE for an RFC 3489 client: the reason padded with spaces to a multiple of 4 bytes, as
 * RFC 3489 §11.2.9 requires (its clients read the attribute length unpadded).
 */
export function legacyErrorCode(code: number, reason: string): AttributeSpec {
  const spaces = (4 - (new TextEncoder().encode(reason).length % 4)) % 4;
  return errorCode(code, reason + ' '.repeat(spaces));
}

/** Decodes an ERROR-CODE value; undefined when malformed. RFC 8489 §14.8 */
export function decodeErrorCode(value: Uint8Array): { code: number; reason: string } | undefined {
  if (value.length < 4) return undefined;
  const cls = (value[2] ?? 0) & 0x07;
  const number = value[3] ?? 0;
  if (cls < 3 || cls > 6 || number > 99) return undefined;
  const reason = decodeText(value.subarray(4), MAX_TEXT_DECODE_BYTES);
  return reason === undefined ? undefined : { code: cls * 100 + number, reason };
}

/** The ERROR-CODE of `m`; undefined when absent or malformed. */
export function readErrorCode(m: StunMessage): { code: number; reason: string } | undefined {
  const a = getAttribute(m, AttributeType.ErrorCode);
  return a === undefined ? undefined : decodeErrorCode(a.value);
}
