import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  changeRequest,
  classifyPacket,
  decodeMessage,
  encodeMessage,
  errorCode,
  isStunMessage,
  padding,
  readAlternateServer,
  readChangeRequest,
  readChangedAddress,
  readErrorCode,
  readMappedAddress,
  readNonce,
  readOtherAddress,
  readPaddingLength,
  readRealm,
  readResponseAddress,
  readResponseOrigin,
  readResponsePort,
  readSoftware,
  readSourceAddress,
  readUnknownAttributes,
  readUsername,
  readXorMappedAddress,
  responsePort,
  software,
  unknownAttributes,
  unknownComprehensionRequired,
  username,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  xorMappedAddress,
  type StunMessage,
} from '../../src/index.js';

const RUNS = 2000;
const KEY = Uint8Array.of(1, 2, 3);

/** Everything a consumer might call on a decoded message; none of it may throw. */
function readEverything(m: StunMessage): void {
  for (const read of [
    readXorMappedAddress, readMappedAddress, readResponseOrigin, readOtherAddress, readChangedAddress,
    readSourceAddress, readAlternateServer, readResponseAddress, readChangeRequest, readResponsePort,
    readPaddingLength, readErrorCode, readSoftware, readUsername, readRealm, readNonce, readUnknownAttributes,
    verifyFingerprint,
  ]) {
    read(m);
  }
  verifyMessageIntegrity(m, KEY);
  verifyMessageIntegritySha256(m, KEY);
  unknownComprehensionRequired(m, new Set([AttributeType.Software]));
}

function decodeAndReadEverything(bytes: Uint8Array): void {
  classifyPacket(bytes);
  isStunMessage(bytes);
  isStunMessage(bytes, { allowLegacy: true });
  const r = decodeMessage(bytes);
  if (r.ok) {
    expect(r.value.raw.length).toBeLessThanOrEqual(bytes.length);
    readEverything(r.value);
  } else {
    expect(typeof r.reason).toBe('string');
  }
}

const valid = encodeMessage(
  {
    method: 1,
    class: 'request',
    transactionId: new Uint8Array(12).fill(3),
    attributes: [
      xorMappedAddress({ address: '2001:db8::1', port: 3478 }),
      software('natkit'),
      username('user'),
      changeRequest({ changeIp: true, changePort: true }),
      responsePort(40000),
      padding(9),
      errorCode(420, 'Unknown Attribute'),
      unknownAttributes([3, 0x7fff]),
    ],
  },
  { integrityKey: KEY, integritySha256Key: KEY, fingerprint: true },
);

describe('hostile input never throws', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => decodeAndReadEverything(b)), { numRuns: RUNS });
  });

  it('random bytes behind a plausible STUN header', () => {
    const header = fc.tuple(fc.integer({ min: 0, max: 0x3fff }), fc.uint8Array({ minLength: 12, maxLength: 12 }));
    const body = fc.uint8Array({ maxLength: 400 }).map((b) => b.subarray(0, b.length & ~3));
    fc.assert(
      fc.property(header, body, fc.boolean(), ([type, id], b, cookie) => {
        const m = new Uint8Array(20 + b.length);
        m.set([type >> 8, type & 0xff, b.length >> 8, b.length & 0xff]);
        m.set(cookie ? [0x21, 0x12, 0xa4, 0x42] : [1, 2, 3, 4], 4);
        m.set(id, 8);
        m.set(b, 20);
        decodeAndReadEverything(m);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid messages (flipped bytes, truncation, huge length fields)', () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
      cut: fc.nat({ max: valid.length }),
      length: fc.option(fc.integer({ min: 0, max: 0xffff })),
    });
    fc.assert(
      fc.property(mutation, ({ flips, cut, length }) => {
        const b = valid.slice(0, Math.max(cut, 0) || valid.length);
        for (const [at, x] of flips) if (at < b.length) b[at] = b[at]! ^ x;
        if (length !== null && b.length >= 4) b.set([length >> 8, length & 0xff], 2);
        decodeAndReadEverything(b);
      }),
      { numRuns: RUNS },
    );
  });

  it('attribute length fields of every size at every attribute', () => {
    fc.assert(
      fc.property(fc.nat({ max: 7 }), fc.integer({ min: 0, max: 0xffff }), (index, len) => {
        const b = valid.slice();
        const r = decodeMessage(b);
        if (!r.ok) throw new Error(r.reason);
        const a = r.value.attributes[index]!;
        b.set([len >> 8, len & 0xff], a.offset + 2);
        decodeAndReadEverything(b);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('decoding does not modify its input', () => {
  it('even a Buffer, whose slice() is a view', () => {
    const b = Buffer.from(valid);
    const before = Buffer.from(b);
    const r = decodeMessage(b);
    if (!r.ok) throw new Error(r.reason);
    readEverything(r.value);
    expect(verifyMessageIntegrity(r.value, KEY)).toBe(true);
    expect(b.equals(before)).toBe(true);
  });
});
