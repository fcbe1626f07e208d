import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTransactionId, decodeMessage, encodeMessage, StunMethod, type StunMessage } from '@natkit/stun';
import { ADDRESS_PROOF_ATTRIBUTE, ADDRESS_TOKEN_ATTRIBUTE, addressTokenAttribute, readAddressProof, readAddressToken } from '../../src/index.js';

function binding(attributes: { type: number; value: Uint8Array }[]): StunMessage {
  const decoded = decodeMessage(encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: createTransactionId(), attributes }));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.value;
}

describe('ADDRESS-TOKEN attribute', () => {
  it('is comprehension-optional (RFC 8489 §18.3: 0x8000-0xFFFF), so any STUN server ignores it', () => {
    expect(ADDRESS_TOKEN_ATTRIBUTE).toBeGreaterThanOrEqual(0x8000);
  });

  it('round-trips a token and a peer id through a Binding request', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.stringMatching(/^[a-z2-7]{1,58}$/), (token, id) => {
        const peerId = `nk1${id}`;
        expect(readAddressToken(binding([addressTokenAttribute(token, peerId) as { type: number; value: Uint8Array }]))).toEqual({ token, peerId });
      }),
    );
  });

  it('a hostile value never throws: too short, too long or not printable ASCII is no token', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (value) => {
        const read = readAddressToken(binding([{ type: ADDRESS_TOKEN_ATTRIBUTE, value }]));
        const id = value.subarray(16);
        const valid = value.length > 16 && value.length <= 144 && id.every((b) => b >= 0x21 && b <= 0x7e);
        expect(read === undefined).toBe(!valid);
      }),
    );
    expect(readAddressToken(binding([]))).toBeUndefined();
  });

  it('ADDRESS-PROOF: exactly 16 bytes or no proof, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (value) => {
        const read = readAddressProof(binding([{ type: ADDRESS_PROOF_ATTRIBUTE, value }]));
        expect(read).toEqual(value.length === 16 ? value : undefined);
      }),
    );
  });
});
