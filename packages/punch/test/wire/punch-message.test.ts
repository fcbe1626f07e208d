import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHmacAuthenticator, decodePunchBody, encodePunchBody, isPunchDatagram, PUNCH_MAGIC } from '../../src/index.js';

const message = fc.record({
  type: fc.constantFrom('probe' as const, 'ack' as const),
  nominate: fc.boolean(),
  senderControls: fc.boolean(),
  txid: fc.uint8Array({ minLength: 8, maxLength: 8 }),
});

describe('punch message and authenticator', () => {
  it('decode(encode(m)) equals m', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodePunchBody(encodePunchBody(m))).toEqual({ ok: true, value: m });
      }),
    );
  });

  it('decoding and opening random bytes never throws', () => {
    const auth = createHmacAuthenticator(new Uint8Array(16).fill(3));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => decodePunchBody(bytes)).not.toThrow();
        expect(auth.open(bytes).ok).toBe(false);
        expect(typeof isPunchDatagram(bytes)).toBe('boolean');
      }),
    );
  });

  it('the HMAC authenticator refuses a flipped bit and another token', () => {
    const token = new Uint8Array(32).fill(7);
    const auth = createHmacAuthenticator(token);
    const other = createHmacAuthenticator(new Uint8Array(32).fill(8));
    const sealed = auth.seal(encodePunchBody({ type: 'probe', nominate: false, senderControls: true, txid: new Uint8Array(8) }));
    expect(auth.open(sealed).ok).toBe(true);
    expect(other.open(sealed)).toEqual({ ok: false, reason: 'bad tag' });
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const bad = Uint8Array.from(sealed);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(auth.open(bad).ok).toBe(false);
    }
    expect(() => createHmacAuthenticator(new Uint8Array(8))).toThrow(/16 bytes/);
    expect(isPunchDatagram(Uint8Array.of(PUNCH_MAGIC, ...sealed))).toBe(true);
    expect(isPunchDatagram(Uint8Array.of(0x00, ...sealed))).toBe(false); // STUN's range (RFC 7983)
  });
});
