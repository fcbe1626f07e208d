import {
  AttributeType,
  ATTRIBUTE_HEADER_LENGTH,
  DEFAULT_MAX_ATTRIBUTES,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  padded,
} from './constants.js';
import type { DecodeResult, RawAttribute, StunMessage } from './message.js';
import { classOf, methodOf } from './message-type.js';

export interface DecodeOptions {
  /** Most attributes accepted in one message; more is malformed. Default 64. */
  readonly maxAttributes?: number;
}

export interface IsStunMessageOptions {
  /** Accept messages without the magic cookie (RFC 3489 peers). Default false. */
  readonly allowLegacy?: boolean;
}

/** Reads the 32-bit big-endian word at `offset` (caller checks bounds). */
export function readUint32(b: Uint8Array, offset: number): number {
  return (
    ((b[offset] ?? 0) * 0x1000000 +
      (((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0))) >>>
    0
  );
}

/** Reads the 16-bit big-endian word at `offset` (caller checks bounds). */
export function readUint16(b: Uint8Array, offset: number): number {
  return ((b[offset] ?? 0) << 8) | (b[offset + 1] ?? 0);
}

/**
 * A cheap test that `bytes` starts with a STUN message: at least a header, the two leading
 * zero bits (RFC 8489 §5), a length that is a multiple of 4 and fits in `bytes`, and the magic
 * cookie unless `allowLegacy`.
 */
export function isStunMessage(bytes: Uint8Array, options?: IsStunMessageOptions): boolean {
  if (bytes.length < HEADER_LENGTH || ((bytes[0] ?? 0xff) & 0xc0) !== 0) return false;
  const length = readUint16(bytes, 2);
  if ((length & 3) !== 0 || HEADER_LENGTH + length > bytes.length) return false;
  return options?.allowLegacy === true || readUint32(bytes, 4) === MAGIC_COOKIE;
}

/**
 * Decodes one STUN message from the start of `bytes` (trailing bytes are ignored). Attribute
 * values are views into `bytes`, not copies. Never throws: hostile input gives `ok: false`.
 */
export function decodeMessage(bytes: Uint8Array, options?: DecodeOptions): DecodeResult<StunMessage> {
  if (bytes.length < HEADER_LENGTH) return fail(`shorter than a header (${bytes.length} bytes)`);
  const type = readUint16(bytes, 0);
  // RFC 8489 §5: the most significant 2 bits of every STUN message are zeroes.
  if ((type & 0xc000) !== 0) return fail('leading bits are not zero');
  const length = readUint16(bytes, 2);
  // RFC 8489 §5: the length is a multiple of 4 (attributes are padded).
  if ((length & 3) !== 0) return fail(`length ${length} is not a multiple of 4`);
  if (HEADER_LENGTH + length > bytes.length) {
    return fail(`length ${length} exceeds the ${bytes.length - HEADER_LENGTH} bytes available`);
  }
  const raw = bytes.subarray(0, HEADER_LENGTH + length);
  const decoded = decodeAttributes(raw, options?.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES);
  if (!('attributes' in decoded)) return decoded;
  const { attributes, ignored } = decoded;
  const isRfc3489 = readUint32(raw, 4) !== MAGIC_COOKIE;
  const base = {
    method: methodOf(type),
    class: classOf(type),
    transactionId: raw.subarray(8, HEADER_LENGTH),
    isRfc3489,
    attributes,
    ignored,
    raw,
  };
  const value: StunMessage = isRfc3489 ? { ...base, legacyTransactionId: raw.subarray(4, HEADER_LENGTH) } : base;
  return { ok: true, value };
}

const NONE: readonly RawAttribute[] = Object.freeze([]);

/**
 * Which attributes may still count after `type`: RFC 8489 §14.5 (after MESSAGE-INTEGRITY only
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT), §14.6 (after MESSAGE-INTEGRITY-SHA256 only
 * FINGERPRINT). Undefined: any.
 */
function countsAfter(type: number, before: ReadonlySet<number> | undefined): ReadonlySet<number> | undefined {
  if (type === AttributeType.MessageIntegrity) return AFTER_INTEGRITY;
  if (type === AttributeType.MessageIntegritySha256) return AFTER_INTEGRITY_SHA256;
  return before;
}
const AFTER_INTEGRITY: ReadonlySet<number> = new Set([AttributeType.MessageIntegritySha256, AttributeType.Fingerprint]);
const AFTER_INTEGRITY_SHA256: ReadonlySet<number> = new Set([AttributeType.Fingerprint]);

function decodeAttributes(
  raw: Uint8Array,
  maxAttributes: number,
): { attributes: RawAttribute[]; ignored: readonly RawAttribute[] } | { ok: false; reason: string } {
  const attributes: RawAttribute[] = [];
  let ignored: RawAttribute[] | undefined;
  let counting: ReadonlySet<number> | undefined;
  const end = raw.length;
  let offset = HEADER_LENGTH;
  while (offset < end) {
    if (offset + ATTRIBUTE_HEADER_LENGTH > end) return fail(`truncated attribute header at ${offset}`);
    if (attributes.length + (ignored?.length ?? 0) >= maxAttributes) return fail(`more than ${maxAttributes} attributes`);
    const type = readUint16(raw, offset);
    const length = readUint16(raw, offset + 2);
    const valueStart = offset + ATTRIBUTE_HEADER_LENGTH;
    // RFC 8489 §14: the value is padded to a multiple of 4 and the padding is inside the message.
    if (valueStart + padded(length) > end) {
      return fail(`attribute 0x${type.toString(16)} at ${offset} overruns the message`);
    }
    const attribute = { type, value: raw.subarray(valueStart, valueStart + length), offset };
    if (counting === undefined || counting.has(type)) {
      attributes.push(attribute);
      counting = countsAfter(type, counting);
    } else {
      (ignored ??= []).push(attribute);
    }
    offset = valueStart + padded(length);
  }
  return { attributes, ignored: ignored ?? NONE };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
