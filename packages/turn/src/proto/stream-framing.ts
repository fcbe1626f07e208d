import { HEADER_LENGTH, MAGIC_COOKIE } from '@natkit/stun';
import { CHANNEL_DATA_HEADER_LENGTH } from './constants.js';

/**
 * TURN over a byte stream (TCP, TLS): the stream carries STUN messages and ChannelData messages
 * back to back, each framed by its own length field. RFC 8656 §12.5: on a stream ChannelData is
 * padded to a multiple of 4 bytes, the padding not counted in its length. RFC 8489 §6.2.2: STUN
 * over TCP is framed by the message's length field.
 */

/** Largest STUN message: 20-byte header plus a 16-bit length. RFC 8489 §5 */
export const MAX_STUN_MESSAGE_LENGTH = HEADER_LENGTH + 0xffff;

/** Largest frame on a TURN stream, padding included. */
export const MAX_STREAM_FRAME_LENGTH = MAX_STUN_MESSAGE_LENGTH;

/**
 * One message cut from a TURN stream, as it was on the stream: ChannelData with its padding
 * (decode it with the stream rule, `decodeChannelData(bytes, true)`).
 */
export interface TurnStreamFrame {
  readonly kind: 'stun' | 'channel-data';
  readonly bytes: Uint8Array;
}

export type DeframeResult =
  | { readonly ok: true; readonly value: readonly TurnStreamFrame[] }
  | { readonly ok: false; readonly reason: string };

export interface StreamDeframerOptions {
  /** Frames longer than this (padding included) are refused; 65555 (the STUN maximum) by default. */
  readonly maxFrameLength?: number;
}

/** RFC 8656 §12: channel numbers 0x4000-0x4FFF (0x5000-0xFFFF reserved), so the first byte is 0x40-0x4F. */
export function isChannelDataFirstByte(b: number): boolean {
  return b >= 0x40 && b <= 0x4f;
}

type FrameHead = { ok: true; kind: TurnStreamFrame['kind']; total: number } | { ok: false; reason: string };

/**
 * Reads the header at `at`: the frame's kind and length on the stream (padding included).
 * Only the first 8 bytes are needed (4 for ChannelData); the caller ensures they are there.
 */
function readFrameHead(b: Uint8Array, at: number, max: number): FrameHead {
  const first = b[at] ?? 0;
  const length = ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0);
  if (first <= 3) {
    // RFC 7983 §7: 0-3 is STUN. RFC 8489 §5: the cookie is the only sanity check a stream allows before trusting the length.
    const cookie = (((b[at + 4] ?? 0) << 24) | ((b[at + 5] ?? 0) << 16) | ((b[at + 6] ?? 0) << 8) | (b[at + 7] ?? 0)) >>> 0;
    if (cookie !== MAGIC_COOKIE) return { ok: false, reason: 'STUN header without the magic cookie: not a TURN stream' };
    if (length % 4 !== 0) return { ok: false, reason: `STUN message length ${length} is not a multiple of 4` };
    const total = HEADER_LENGTH + length;
    if (total > max) return { ok: false, reason: `STUN message of ${total} bytes exceeds ${max}` };
    return { ok: true, kind: 'stun', total };
  }
  if (first >> 6 === 0b01) {
    // RFC 8656 §12.5: ChannelData, padded to 4 on a stream. Framed for the whole RFC 5766 range
    // 0x4000-0x7FFF (older clients pick channels there); the server decides what it accepts.
    const unpadded = CHANNEL_DATA_HEADER_LENGTH + length;
    const total = (unpadded + 3) & ~3;
    if (total > max) return { ok: false, reason: `ChannelData of ${total} bytes exceeds ${max}` };
    return { ok: true, kind: 'channel-data', total };
  }
  return { ok: false, reason: `first byte 0x${first.toString(16).padStart(2, '0')} starts neither STUN nor ChannelData` };
}

/**
 * Incremental deframer for one TURN stream. Feed it chunks as they arrive; it returns the whole
 * frames completed so far and keeps at most one partial frame (never more than `maxFrameLength`
 * bytes). Garbage (no magic cookie, a bad first byte, an over-long frame) yields a reason to close
 * the connection: a stream cannot be resynchronised. After an error every push repeats it.
 * Returned frames are views into the pushed chunks, or copies when a frame spans chunks.
 */
export class StreamDeframer {
  readonly #max: number;
  #pending: Uint8Array = new Uint8Array(0);
  #failure: string | undefined;

  constructor(options: StreamDeframerOptions = {}) {
    this.#max = Math.max(HEADER_LENGTH, Math.min(options.maxFrameLength ?? MAX_STREAM_FRAME_LENGTH, MAX_STREAM_FRAME_LENGTH));
  }

  /** Bytes of an incomplete frame held back. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): DeframeResult {
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    const data = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const frames: TurnStreamFrame[] = [];
    let at = 0;
    for (;;) {
      const left = data.length - at;
      const first = data[at];
      if (first === undefined) break;
      const needHead = first >> 6 === 0b01 ? CHANNEL_DATA_HEADER_LENGTH : 8;
      if (left < needHead) break;
      const head = readFrameHead(data, at, this.#max);
      if (!head.ok) return this.#fail(head.reason);
      if (left < head.total) break;
      frames.push({ kind: head.kind, bytes: data.subarray(at, at + head.total) });
      at += head.total;
    }
    // Copy the remainder: the caller may reuse its chunk. Bounded: less than one frame.
    this.#pending = at === data.length ? new Uint8Array(0) : data.slice(at);
    return { ok: true, value: frames };
  }

  #fail(reason: string): DeframeResult {
    this.#failure = reason;
    this.#pending = new Uint8Array(0);
    return { ok: false, reason };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * ChannelData ready for a stream: padded with zeros to a multiple of 4 (RFC 8656 §12.5). Returns
 * `bytes` itself when it is already aligned.
 */
export function padChannelDataForStream(bytes: Uint8Array): Uint8Array {
  const rem = bytes.length % 4;
  if (rem === 0) return bytes;
  const out = new Uint8Array(bytes.length + 4 - rem);
  out.set(bytes, 0);
  return out;
}
