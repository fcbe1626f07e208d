import type { DecodeResult } from '@natkit/stun';
import { CHANNEL_DATA_HEADER_LENGTH, MIN_CHANNEL_NUMBER } from './constants.js';

/** A decoded ChannelData message. `data` is a view into the input bytes. RFC 8656 §12.4 */
export interface ChannelData {
  readonly channel: number;
  readonly data: Uint8Array;
  /** Bytes consumed from the input: header, data and (on a stream) padding. */
  readonly size: number;
}

/** Largest application data a ChannelData message can carry (16-bit length). RFC 8656 §12.4 */
export const MAX_CHANNEL_DATA_LENGTH = 0xffff;

export interface ChannelDataOptions {
  /**
   * Pad to a multiple of 4 bytes. RFC 8656 §12.5: MUST over TCP/TLS, MAY over UDP (receivers
   * over UDP accept both). The padding is not counted in the length field.
   */
  readonly pad?: boolean;
}

/** True when the first two bits are 0b01: a ChannelData message, not STUN. RFC 8656 §12.4 */
export function isChannelData(bytes: Uint8Array): boolean {
  const b = bytes[0];
  return b !== undefined && (b & 0xc0) === 0x40;
}

/** Encodes one ChannelData message. Throws RangeError for a channel or data length out of range. */
export function encodeChannelData(channel: number, data: Uint8Array, options?: ChannelDataOptions): Uint8Array {
  if (!Number.isInteger(channel) || channel < MIN_CHANNEL_NUMBER || channel > 0x7fff) {
    throw new RangeError(`channel number out of range: ${channel}`);
  }
  if (data.length > MAX_CHANNEL_DATA_LENGTH) throw new RangeError(`ChannelData of ${data.length} bytes is too long`);
  const size = CHANNEL_DATA_HEADER_LENGTH + (options?.pad === true ? (data.length + 3) & ~3 : data.length);
  const out = new Uint8Array(size); // zeroed: padding never leaks earlier bytes
  out[0] = channel >> 8;
  out[1] = channel & 0xff;
  out[2] = data.length >> 8;
  out[3] = data.length & 0xff;
  out.set(data, CHANNEL_DATA_HEADER_LENGTH);
  return out;
}

/**
 * Decodes one ChannelData message at the start of `bytes`. Over UDP (`stream` false) the
 * datagram must hold at least the declared length; whatever follows (optional padding) is
 * ignored. On a stream (`stream` true) the padding to 4 bytes must be present too, and `size`
 * says where the next message starts. Channel numbers 0x4000-0x7FFF decode (0b01 prefix);
 * whether one is bound is the caller's business. Never throws.
 */
export function decodeChannelData(bytes: Uint8Array, stream = false): DecodeResult<ChannelData> {
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH) return { ok: false, reason: 'shorter than a ChannelData header' };
  if (!isChannelData(bytes)) return { ok: false, reason: 'first two bits are not 0b01' };
  const channel = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  const length = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  const end = CHANNEL_DATA_HEADER_LENGTH + length;
  const size = stream ? (end + 3) & ~3 : end;
  if (size > bytes.length) return { ok: false, reason: `length ${length} exceeds the ${bytes.length - 4} bytes available` };
  return { ok: true, value: { channel, data: bytes.subarray(CHANNEL_DATA_HEADER_LENGTH, end), size } };
}
