import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_STREAM_FRAME_LENGTH, padChannelDataForStream, StreamDeframer } from '../../src/proto/stream-framing.js';

/** A STUN-shaped frame: type, length, cookie, id, then `bodyLength` bytes (a multiple of 4). */
function stunFrame(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + body.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, type & 0x03ff);
  v.setUint16(2, body.length);
  v.setUint32(4, 0x2112a442);
  out.fill(0xab, 8, 20);
  out.set(body, 20);
  return out;
}

function channelData(channel: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, channel);
  v.setUint16(2, data.length);
  out.set(data, 4);
  return out;
}

const frameArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 0x03ff }), fc.integer({ min: 0, max: 300 }))
    .map(([type, words]) => ({ kind: 'stun' as const, bytes: stunFrame(type, new Uint8Array(words * 4).fill(words & 0xff)) })),
  fc
    .tuple(fc.integer({ min: 0x4000, max: 0x7fff }), fc.uint8Array({ maxLength: 1300 }))
    .map(([ch, data]) => ({ kind: 'channel-data' as const, bytes: channelData(ch, data) })),
);

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(prev, p));
    prev = p;
  }
  return out;
}

describe('TURN stream deframer (RFC 8656 §12.5)', () => {
  it('gives back every frame as on the stream (ChannelData padded), however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (unpadded, cuts) => {
        const frames = unpadded.map((f) => ({ kind: f.kind, bytes: Uint8Array.from(f.kind === 'channel-data' ? padChannelDataForStream(f.bytes) : f.bytes) }));
        const stream = concatAll(frames.map((f) => f.bytes));
        const d = new StreamDeframer();
        const got: { kind: string; bytes: Uint8Array }[] = [];
        for (const piece of splitAt(stream, cuts)) {
          const r = d.push(piece);
          if (!r.ok) throw new Error(r.reason);
          for (const f of r.value) got.push({ kind: f.kind, bytes: Uint8Array.from(f.bytes) });
        }
        expect(got).toEqual(frames);
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 300, seed: 6 },
    );
  });

  it('cuts a STUN message and a padded ChannelData split at every byte', () => {
    const stun = stunFrame(0x0003, new Uint8Array(8).fill(1));
    const cd = channelData(0x4001, Uint8Array.of(1, 2, 3, 4, 5));
    const stream = concatAll([stun, padChannelDataForStream(cd), stun]);
    expect(stream.length).toBe(28 + 12 + 28);
    const d = new StreamDeframer();
    const got: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) {
      const r = d.push(stream.subarray(i, i + 1));
      expect(r.ok).toBe(true);
      if (r.ok) got.push(...r.value.map((f) => Uint8Array.from(f.bytes)));
    }
    expect(got).toEqual([stun, padChannelDataForStream(cd), stun]);
  });

  it('never throws on random bytes and never holds more than one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 30 }), (chunks) => {
        const d = new StreamDeframer();
        for (const c of chunks) {
          const r = d.push(c);
          expect(d.bufferedBytes).toBeLessThan(MAX_STREAM_FRAME_LENGTH);
          if (!r.ok) {
            expect(r.reason.length).toBeGreaterThan(0);
            expect(d.push(Uint8Array.of(0)).ok).toBe(false);
            return;
          }
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it.each([
    ['an RTP header', Uint8Array.of(0x80, 0x60, 0, 1, 0, 0, 0, 0), /starts neither/],
    ['a first byte of 0x04 (neither STUN nor ChannelData)', Uint8Array.of(0x04, 0, 0, 4, 1, 2, 3, 4), /starts neither/],
    ['a TLS ClientHello', Uint8Array.of(0x16, 3, 1, 0, 0xa5, 1, 0, 0), /starts neither/],
    ['STUN without the magic cookie (RFC 3489)', Uint8Array.of(0, 1, 0, 0, 1, 2, 3, 4), /magic cookie/],
    ['a STUN length not a multiple of 4', Uint8Array.of(0, 1, 0, 5, 0x21, 0x12, 0xa4, 0x42), /multiple of 4/],
  ])('refuses %s with a reason to close', (_name, bytes, reason) => {
    const r = new StreamDeframer().push(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('frames RFC 5766 channel numbers 0x5000-0x7FFF too (coturn 4.6 uclient picks them); the server judges them', () => {
    const cd = channelData(0x7fff, Uint8Array.of(1, 2, 3));
    const r = new StreamDeframer().push(padChannelDataForStream(cd));
    expect(r).toEqual({ ok: true, value: [{ kind: 'channel-data', bytes: padChannelDataForStream(cd) }] });
  });

  it("reads 'GET ' as the head of a 21540-byte ChannelData ('G' is 0x47): the port router must look at 4 bytes", () => {
    const d = new StreamDeframer();
    expect(d.push(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')).ok).toBe(true);
    expect(d.bufferedBytes).toBe(18);
  });

  it('refuses a frame longer than the configured limit before buffering it', () => {
    const d = new StreamDeframer({ maxFrameLength: 1024 });
    const head = channelData(0x4000, new Uint8Array(2000)).subarray(0, 4);
    const r = d.push(head);
    expect(r).toEqual({ ok: false, reason: 'ChannelData of 2004 bytes exceeds 1024' });
    expect(d.bufferedBytes).toBe(0);
  });

  it('holds a partial frame and nothing else', () => {
    const d = new StreamDeframer();
    const stun = stunFrame(0x0001, new Uint8Array(400));
    expect(d.push(stun.subarray(0, 100))).toEqual({ ok: true, value: [] });
    expect(d.bufferedBytes).toBe(100);
  });

  it('pads ChannelData to a multiple of 4 with zeros, and leaves aligned ones alone', () => {
    const cd = channelData(0x4000, Uint8Array.of(9));
    expect(Array.from(padChannelDataForStream(cd))).toEqual([0x40, 0, 0, 1, 9, 0, 0, 0]);
    const aligned = channelData(0x4000, Uint8Array.of(1, 2, 3, 4));
    expect(padChannelDataForStream(aligned)).toBe(aligned);
  });
});
