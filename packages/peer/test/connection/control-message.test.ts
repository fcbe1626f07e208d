import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeControl, encodeControl, type ControlMessage } from '../../src/index.js';

describe('connection control messages (the plaintext inside a session packet)', () => {
  it('round-trips every kind', () => {
    const messages: ControlMessage[] = [
      { type: 'data', payload: Uint8Array.of(1, 2, 3) },
      { type: 'data', payload: new Uint8Array(0) },
      { type: 'probe', nonce: 0xdeadbeef },
      { type: 'probe-ack', nonce: 0 },
      { type: 'close' },
      { type: 'reprobe' },
    ];
    for (const m of messages) expect(decodeControl(encodeControl(m))).toEqual({ ok: true, value: m });
  });

  it('refuses malformed plaintexts with a reason', () => {
    expect(decodeControl(new Uint8Array(0))).toEqual({ ok: false, reason: 'empty' });
    expect(decodeControl(Uint8Array.of(1, 0, 0))).toEqual({ ok: false, reason: 'probe-length' });
    expect(decodeControl(Uint8Array.of(3, 0))).toEqual({ ok: false, reason: 'unknown-type' });
    expect(decodeControl(Uint8Array.of(4, 0))).toEqual({ ok: false, reason: 'unknown-type' });
    expect(decodeControl(Uint8Array.of(200))).toEqual({ ok: false, reason: 'unknown-type' });
  });

  it('never throws on arbitrary bytes (seeded)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = decodeControl(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
