import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  changeRequest,
  classifyPacket,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  errorCode,
  formatIp,
  isStunMessage,
  mappedAddress,
  otherAddress,
  padding,
  parseIp,
  readChangeRequest,
  readChangedAddress,
  readErrorCode,
  readMappedAddress,
  readOtherAddress,
  readPaddingLength,
  readResponsePort,
  readSoftware,
  readUnknownAttributes,
  readXorMappedAddress,
  responsePort,
  software,
  StunEncodeError,
  StunMethod,
  transactionKey,
  unknownAttributes,
  unknownComprehensionRequired,
  username,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  xorMappedAddress,
  changedAddress,
  type AttributeSpec,
  type StunClass,
  type StunMessage,
} from '../../src/index.js';

const TX = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
const KEY = new TextEncoder().encode('secret');

function decoded(bytes: Uint8Array): StunMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('message type', () => {
  it.each<[number, StunClass, number]>([
    [StunMethod.Binding, 'request', 0x0001],
    [StunMethod.Binding, 'indication', 0x0011],
    [StunMethod.Binding, 'success', 0x0101],
    [StunMethod.Binding, 'error', 0x0111],
    [0x003, 'request', 0x0003], // TURN Allocate, RFC 8656 §17
    [0xfff, 'error', 0x3fff],
  ])('method 0x%s %s is type 0x%s on the wire and back', (method, cls, type) => {
    const bytes = encodeMessage({ method, class: cls, transactionId: TX });
    expect((bytes[0]! << 8) | bytes[1]!).toBe(type);
    const m = decoded(bytes);
    expect([m.method, m.class]).toEqual([method, cls]);
  });
});

describe('classifyPacket (RFC 7983 §7)', () => {
  it.each([
    [0, 'stun'], [3, 'stun'], [4, 'unknown'], [16, 'zrtp'], [19, 'zrtp'], [20, 'dtls'], [63, 'dtls'],
    [64, 'turn-channel'], [79, 'turn-channel'], [80, 'unknown'], [128, 'rtp-rtcp'], [191, 'rtp-rtcp'],
    [192, 'unknown'], [255, 'unknown'],
  ])('first byte %i is %s', (b, kind) => {
    expect(classifyPacket(Uint8Array.of(b, 0, 0))).toBe(kind);
  });
  it('an empty datagram is unknown', () => expect(classifyPacket(new Uint8Array(0))).toBe('unknown'));
});

describe('decodeMessage rejects with a reason', () => {
  const good = encodeMessage({ method: 1, class: 'request', transactionId: TX, attributes: [software('x')] });
  const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    f(b);
    return b;
  };
  it.each([
    ['a short datagram', good.subarray(0, 19)],
    ['non-zero leading bits', mutate((b) => (b[0] = 0x40))],
    ['a length not a multiple of 4', mutate((b) => (b[3] = 7))],
    ['a length past the datagram', mutate((b) => (b[2] = 0xff))],
    ['an attribute past the message', mutate((b) => (b[23] = 0x40))],
    ['a truncated message', good.subarray(0, good.length - 4)],
  ])('%s', (_what, bytes) => {
    const r = decodeMessage(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/\w/);
  });
  it('more attributes than maxAttributes', () => {
    const many = encodeMessage({ method: 1, class: 'request', transactionId: TX, attributes: Array(5).fill(padding(0)) });
    expect(decodeMessage(many, { maxAttributes: 4 }).ok).toBe(false);
    expect(decodeMessage(many, { maxAttributes: 5 }).ok).toBe(true);
  });
  it('keeps values as views into the input and ignores trailing bytes', () => {
    const withTrailer = new Uint8Array(good.length + 8);
    withTrailer.set(good);
    const m = decoded(withTrailer);
    expect(m.raw.length).toBe(good.length);
    expect(m.attributes[0]!.value.buffer).toBe(withTrailer.buffer);
  });
});

describe('isStunMessage', () => {
  const good = encodeMessage({ method: 1, class: 'request', transactionId: TX });
  const legacy = encodeMessage({ method: 1, class: 'request', transactionId: new Uint8Array(16).fill(7) });
  it('accepts STUN and refuses the rest', () => {
    expect(isStunMessage(good)).toBe(true);
    expect(isStunMessage(good.subarray(0, 19))).toBe(false);
    expect(isStunMessage(Uint8Array.of(0x80, ...good.subarray(1)))).toBe(false);
  });
  it('requires the cookie unless allowLegacy', () => {
    expect(isStunMessage(legacy)).toBe(false);
    expect(isStunMessage(legacy, { allowLegacy: true })).toBe(true);
  });
});

describe('RFC 3489 messages', () => {
  const id16 = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
  const bytes = encodeMessage({
    method: 1,
    class: 'success',
    transactionId: id16,
    attributes: [mappedAddress({ address: '198.51.100.7', port: 4000 }), changedAddress({ address: '203.0.113.2', port: 3479 })],
  });
  it('decode with the 16-byte id and isRfc3489', () => {
    const m = decoded(bytes);
    expect(m.isRfc3489).toBe(true);
    expect(m.legacyTransactionId).toEqual(id16);
    expect(m.transactionId).toEqual(id16.subarray(4));
    expect(readMappedAddress(m)).toEqual({ address: '198.51.100.7', port: 4000 });
    expect(readChangedAddress(m)).toEqual({ address: '203.0.113.2', port: 3479 });
  });
});

describe('attributes', () => {
  const ok = (attributes: readonly AttributeSpec[], cls: StunClass = 'success'): StunMessage =>
    decoded(encodeMessage({ method: 1, class: cls, transactionId: TX, attributes }));

  it('round-trip addresses of both families, XORed and plain', () => {
    const v4 = { address: '203.0.113.9', port: 1 };
    const v6 = { address: '2001:db8::9', port: 65535 };
    const m = ok([xorMappedAddress(v6), mappedAddress(v4), otherAddress(v6)]);
    expect(readXorMappedAddress(m)).toEqual(v6);
    expect(readMappedAddress(m)).toEqual(v4);
    expect(readOtherAddress(m)).toEqual(v6);
  });
  it('first occurrence wins', () => {
    expect(readSoftware(ok([software('first'), software('second')]))).toBe('first');
  });
  it('round-trip CHANGE-REQUEST, RESPONSE-PORT, PADDING, ERROR-CODE, UNKNOWN-ATTRIBUTES', () => {
    const m = ok([changeRequest({ changeIp: true, changePort: false }), responsePort(0), padding(13)], 'request');
    expect(readChangeRequest(m)).toEqual({ changeIp: true, changePort: false });
    expect(readResponsePort(m)).toBe(0);
    expect(readPaddingLength(m)).toBe(13);
    const e = ok([errorCode(420, 'Unknown Attribute'), unknownAttributes([0x0003, 0x7777])], 'error');
    expect(readErrorCode(e)).toEqual({ code: 420, reason: 'Unknown Attribute' });
    expect(readUnknownAttributes(e)).toEqual([0x0003, 0x7777]);
  });
  it('are undefined when malformed', () => {
    const m = ok([
      { type: AttributeType.XorMappedAddress, value: Uint8Array.of(0, 3, 0, 0, 1, 2, 3, 4) },
      { type: AttributeType.MappedAddress, value: Uint8Array.of(0, 1, 0, 0, 1, 2, 3) },
      { type: AttributeType.ChangeRequest, value: Uint8Array.of(0, 0, 6) },
      { type: AttributeType.ErrorCode, value: Uint8Array.of(0, 0, 7, 0) },
      { type: AttributeType.Software, value: Uint8Array.of(0xff, 0xfe) },
      { type: AttributeType.UnknownAttributes, value: Uint8Array.of(0, 1, 0) },
      { type: AttributeType.ResponsePort, value: Uint8Array.of(1) },
    ]);
    expect(readXorMappedAddress(m)).toBeUndefined();
    expect(readMappedAddress(m)).toBeUndefined();
    expect(readChangeRequest(m)).toBeUndefined();
    expect(readErrorCode(m)).toBeUndefined();
    expect(readSoftware(m)).toBeUndefined();
    expect(readUnknownAttributes(m)).toBeUndefined();
    expect(readResponsePort(m)).toBeUndefined();
  });
  it('unknownComprehensionRequired lists unknown types below 0x8000 once', () => {
    const m = ok([
      { type: 0x7001, value: new Uint8Array(0) },
      { type: 0x8fff, value: new Uint8Array(0) },
      { type: 0x7001, value: new Uint8Array(0) },
      software('x'),
      changeRequest({ changeIp: false, changePort: true }),
    ]);
    expect(unknownComprehensionRequired(m, new Set([AttributeType.Software]))).toEqual([0x7001, 0x0003]);
  });
});

describe('integrity and fingerprint', () => {
  const spec = { method: 1, class: 'request' as const, transactionId: TX, attributes: [username('u')] };
  it('MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT verify together', () => {
    const m = decoded(encodeMessage(spec, { integrityKey: KEY, integritySha256Key: KEY, fingerprint: true }));
    expect(m.attributes.map((a) => a.type).slice(-3)).toEqual([0x0008, 0x001c, 0x8028]);
    expect(verifyMessageIntegrity(m, KEY)).toBe(true);
    expect(verifyMessageIntegritySha256(m, KEY)).toBe(true);
    expect(verifyMessageIntegritySha256(m, Uint8Array.of(1))).toBe(false);
    expect(verifyFingerprint(m)).toBe(true);
  });
  it('are undefined when absent', () => {
    const m = decoded(encodeMessage(spec));
    expect(verifyMessageIntegrity(m, KEY)).toBeUndefined();
    expect(verifyMessageIntegritySha256(m, KEY)).toBeUndefined();
    expect(verifyFingerprint(m)).toBeUndefined();
  });
  it('accept a MESSAGE-INTEGRITY-SHA256 truncated to 16 bytes (RFC 8489 §14.6)', () => {
    const bytes = encodeMessage({ ...spec, attributes: [username('u'), { type: 0x001c, value: new Uint8Array(16) }] });
    const offset = bytes.length - 20;
    // Independent HMAC: the length field already ends at this last attribute.
    const mac = createHmac('sha256', KEY).update(bytes.subarray(0, offset)).digest().subarray(0, 16);
    bytes.set(mac, offset + 4);
    expect(verifyMessageIntegritySha256(decoded(bytes), KEY)).toBe(true);
    bytes[bytes.length - 1]! ^= 1;
    expect(verifyMessageIntegritySha256(decoded(bytes), KEY)).toBe(false);
  });
  it('a flipped bit or a FINGERPRINT that is not last fails', () => {
    const bytes = encodeMessage(spec, { fingerprint: true });
    bytes[24]! ^= 1;
    expect(verifyFingerprint(decoded(bytes))).toBe(false);
    const notLast = encodeMessage(spec, { fingerprint: true });
    const appended = new Uint8Array(notLast.length + 4);
    appended.set(notLast);
    appended.set([0x80, 0x22, 0, 0], notLast.length);
    appended[3] = notLast[3]! + 4;
    expect(verifyFingerprint(decoded(appended))).toBe(false);
  });
});

describe('encode errors are typed', () => {
  it.each([
    ['a long SOFTWARE', () => software('x'.repeat(128))],
    ['a long USERNAME', () => username('x'.repeat(509))],
    ['a bad error code', () => errorCode(700, 'x')],
    ['a bad port', () => responsePort(65536)],
    ['a non-IP address', () => xorMappedAddress({ address: 'example.org', port: 1 })],
    ['a short transaction id', () => encodeMessage({ method: 1, class: 'request', transactionId: new Uint8Array(11) })],
  ])('%s throws StunEncodeError', (_what, f) => {
    expect(f).toThrow(StunEncodeError);
    try {
      f();
    } catch (e) {
      expect((e as StunEncodeError).code).toBe('ERR_STUN_ENCODE');
    }
  });
});

describe('transaction ids and IP text', () => {
  it('createTransactionId uses the injected random source', () => {
    expect(createTransactionId((n) => new Uint8Array(n).fill(9))).toEqual(new Uint8Array(12).fill(9));
    expect(createTransactionId().length).toBe(12);
    expect(transactionKey(Uint8Array.of(0, 15, 255))).toBe('000fff');
  });
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:1:1:1:1:1:1', '2001:db8:1:1:1:1:1:1'],
  ])('%s formats as %s', (input, canonical) => {
    expect(formatIp(parseIp(input)!)).toBe(canonical);
  });
  it.each(['1.2.3', '1.2.3.256', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', 'g::1', ''])(
    '%j is not an IP literal',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});
