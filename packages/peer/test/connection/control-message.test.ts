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
      { type: 'relay-moved', nonce: 7, relayed: { address: '203.0.113.1', port: 50123 } },
      { type: 'relay-moved', nonce: 0xffffffff, relayed: { address: '2001:db8::1', port: 1 } },
    ];
    for (const m of messages) expect(decodeControl(encodeControl(m))).toEqual({ ok: true, value: m });
  });

  it('refuses malformed plaintexts with a reason', () => {
    expect(decodeControl(new Uint8Array(0))).toEqual({ ok: false, reason: 'empty' });
    expect(decodeControl(Uint8Array.of(1, 0, 0))).toEqual({ ok: false, reason: 'probe-length' });
    expect(decodeControl(Uint8Array.of(3, 0))).toEqual({ ok: false, reason: 'unknown-type' });
    expect(decodeControl(Uint8Array.of(4, 0))).toEqual({ ok: false, reason: 'unknown-type' });
    expect(decodeControl(Uint8Array.of(200))).toEqual({ ok: false, reason: 'unknown-type' });
    const moved = (port: number, address: string): Uint8Array => encodeControl({ type: 'relay-moved', nonce: 1, relayed: { address, port } });
    expect(decodeControl(moved(0, '203.0.113.1'))).toEqual({ ok: false, reason: 'relay-moved-address' });
    expect(decodeControl(moved(3478, 'example.org'))).toEqual({ ok: false, reason: 'relay-moved-address' });
    expect(decodeControl(Uint8Array.of(5, 0, 0, 0, 1, 0, 80))).toEqual({ ok: false, reason: 'relay-moved-length' });
    expect(decodeControl(Uint8Array.of(5, 0, 0, 0, 1, 0, 80, 0xff, 0xfe))).toEqual({ ok: false, reason: 'relay-moved-address' });
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
