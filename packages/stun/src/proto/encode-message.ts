import { StunEncodeError } from '../errors.js';
import type { AttributeSpec } from './attribute.js';
import {
  AttributeType,
  ATTRIBUTE_HEADER_LENGTH,
  HEADER_LENGTH,
  LEGACY_TRANSACTION_ID_LENGTH,
  MAGIC_COOKIE,
  MAX_MESSAGE_LENGTH,
  MESSAGE_INTEGRITY_LENGTH,
  MESSAGE_INTEGRITY_SHA256_LENGTH,
  TRANSACTION_ID_LENGTH,
  padded,
} from './constants.js';
import { computeFingerprint, FINGERPRINT_ATTRIBUTE_LENGTH } from './fingerprint.js';
import type { StunClass } from './message.js';
import { encodeMessageType, MAX_METHOD } from './message-type.js';
import { integrityHmac } from './message-integrity.js';

export interface MessageSpec {
  readonly method: number;
  readonly class: StunClass;
  /** 12 bytes; or 16 bytes for an RFC 3489 message, whose first 4 replace the magic cookie. */
  readonly transactionId: Uint8Array;
  readonly attributes?: readonly AttributeSpec[];
}

export interface EncodeOptions {
  /** Appends MESSAGE-INTEGRITY (HMAC-SHA1) with this key. RFC 8489 §14.5 */
  readonly integrityKey?: Uint8Array;
  /** Appends MESSAGE-INTEGRITY-SHA256 with this key (after MESSAGE-INTEGRITY). RFC 8489 §14.6 */
  readonly integritySha256Key?: Uint8Array;
  /** Appends FINGERPRINT, last. RFC 8489 §14.7 */
  readonly fingerprint?: boolean;
  /** Value of the padding bytes after each attribute; any value is legal (RFC 8489 §14). Default 0. */
  readonly paddingByte?: number;
}

/**
 * Largest message body: the 16-bit length field (RFC 8489 §5) could describe 65,532 bytes, but
 * the message must fit one UDP datagram within 64 KiB (MAX_MESSAGE_LENGTH), as a multiple of 4.
 */
const MAX_BODY_LENGTH = (MAX_MESSAGE_LENGTH - HEADER_LENGTH) & ~3;

/**
 * Encodes a message: header, the attributes in order (each padded to 4 bytes), then
 * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT as asked, in that order
 * (RFC 8489 §14.5-14.7). Throws StunEncodeError for input the format cannot carry.
 */
export function encodeMessage(spec: MessageSpec, options?: EncodeOptions): Uint8Array {
  const id = spec.transactionId;
  if (id.length !== TRANSACTION_ID_LENGTH && id.length !== LEGACY_TRANSACTION_ID_LENGTH) {
    throw new StunEncodeError(`transaction id must be 12 or 16 bytes, not ${id.length}`);
  }
  if (!Number.isInteger(spec.method) || spec.method < 0 || spec.method > MAX_METHOD) {
    throw new StunEncodeError(`method out of range: ${spec.method}`);
  }
  const tail = id.subarray(id.length - TRANSACTION_ID_LENGTH);
  const values = (spec.attributes ?? []).map((a) => {
    const value = typeof a.value === 'function' ? a.value(tail) : a.value;
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0xffff || value.length > 0xffff) {
      throw new StunEncodeError(`bad attribute 0x${a.type.toString(16)} (${value.length} bytes)`);
    }
    return { type: a.type, value };
  });
  let length = values.reduce((n, a) => n + ATTRIBUTE_HEADER_LENGTH + padded(a.value.length), 0);
  if (options?.integrityKey !== undefined) length += ATTRIBUTE_HEADER_LENGTH + MESSAGE_INTEGRITY_LENGTH;
  if (options?.integritySha256Key !== undefined) length += ATTRIBUTE_HEADER_LENGTH + MESSAGE_INTEGRITY_SHA256_LENGTH;
  if (options?.fingerprint === true) length += FINGERPRINT_ATTRIBUTE_LENGTH;
  if (length > MAX_BODY_LENGTH) throw new StunEncodeError(`message body of ${length} bytes is too long (at most ${MAX_BODY_LENGTH}: one UDP datagram)`);

  const out = new Uint8Array(HEADER_LENGTH + length);
  writeHeader(out, encodeMessageType(spec.method, spec.class), id);
  const fill = options?.paddingByte ?? 0;
  let offset = HEADER_LENGTH;
  for (const a of values) offset = writeAttribute(out, offset, a.type, a.value, fill);
  if (options?.integrityKey !== undefined) {
    const mac = integrityHmac('sha1', options.integrityKey, out, offset, MESSAGE_INTEGRITY_LENGTH);
    offset = writeAttribute(out, offset, AttributeType.MessageIntegrity, mac, fill);
  }
  if (options?.integritySha256Key !== undefined) {
    const mac = integrityHmac('sha256', options.integritySha256Key, out, offset, MESSAGE_INTEGRITY_SHA256_LENGTH);
    offset = writeAttribute(out, offset, AttributeType.MessageIntegritySha256, mac, fill);
  }
  writeLength(out, length);
  if (options?.fingerprint === true) {
    const crc = computeFingerprint(out, offset);
    const value = Uint8Array.of(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff);
    writeAttribute(out, offset, AttributeType.Fingerprint, value, fill);
  }
  return out;
}

function writeHeader(out: Uint8Array, type: number, id: Uint8Array): void {
  out[0] = type >> 8;
  out[1] = type & 0xff;
  if (id.length === TRANSACTION_ID_LENGTH) {
    out[4] = MAGIC_COOKIE >>> 24;
    out[5] = (MAGIC_COOKIE >>> 16) & 0xff;
    out[6] = (MAGIC_COOKIE >>> 8) & 0xff;
    out[7] = MAGIC_COOKIE & 0xff;
    out.set(id, 8);
  } else {
    out.set(id, 4); // RFC 3489 §11.1: a 128-bit transaction id where the cookie now is.
  }
}

function writeLength(out: Uint8Array, length: number): void {
  out[2] = length >> 8;
  out[3] = length & 0xff;
}

function writeAttribute(out: Uint8Array, offset: number, type: number, value: Uint8Array, fill: number): number {
  out[offset] = type >> 8;
  out[offset + 1] = type & 0xff;
  out[offset + 2] = value.length >> 8;
  out[offset + 3] = value.length & 0xff;
  out.set(value, offset + ATTRIBUTE_HEADER_LENGTH);
  const end = offset + ATTRIBUTE_HEADER_LENGTH + value.length;
  const next = offset + ATTRIBUTE_HEADER_LENGTH + padded(value.length);
  if (fill !== 0) out.fill(fill, end, next);
  return next;
}
