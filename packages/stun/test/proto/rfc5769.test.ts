import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  decodeMessage,
  encodeMessage,
  getAttribute,
  longTermKey,
  nonce,
  readNonce,
  readRealm,
  readSoftware,
  readUsername,
  readXorMappedAddress,
  realm,
  software,
  StunMethod,
  username,
  verifyFingerprint,
  verifyMessageIntegrity,
  xorMappedAddress,
  type StunMessage,
} from '../../src/index.js';

// RFC 5769 test vectors, byte for byte (the RFC's data; the padding of the first three is 0x20).
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);
const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

const PASSWORD = new TextEncoder().encode('VOkJxbRl1RmTxUk/WvJxBt');
const TX = hex('b7 e7 a7 01 bc 34 d6 86 fa 87 df ae');
const LT_TX = hex('78 ad 34 33 c6 ad 72 c0 29 da 41 2e');
// RFC 5769 §2.4: the password before SASLprep; after it, "TheMatrIX".
const LT_USERNAME = '\u30de\u30c8\u30ea\u30c3\u30af\u30b9';
const LT_PASSWORD = 'The\u00adM\u00aatr\u2168';

function decoded(bytes: Uint8Array): StunMessage {
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('RFC 5769 §2.1 sample request', () => {
  const m = decoded(SAMPLE_REQUEST);
  it('decodes to a Binding request with its attributes', () => {
    expect(m.method).toBe(StunMethod.Binding);
    expect(m.class).toBe('request');
    expect(m.isRfc3489).toBe(false);
    expect(m.transactionId).toEqual(TX);
    expect(readSoftware(m)).toBe('STUN test client');
    expect(readUsername(m)).toBe('evtj:h6vY');
    expect(getAttribute(m, 0x0024)?.value).toEqual(hex('6e 00 01 ff'));
    expect(getAttribute(m, 0x8029)?.value).toEqual(hex('93 2f f9 b1 51 26 3b 36'));
  });
  it('has a valid MESSAGE-INTEGRITY and FINGERPRINT', () => {
    expect(verifyMessageIntegrity(m, PASSWORD)).toBe(true);
    expect(verifyMessageIntegrity(m, new TextEncoder().encode('wrong'))).toBe(false);
    expect(verifyFingerprint(m)).toBe(true);
  });
  it('is re-encoded byte for byte', () => {
    const bytes = encodeMessage(
      {
        method: StunMethod.Binding,
        class: 'request',
        transactionId: TX,
        attributes: [
          software('STUN test client'),
          { type: 0x0024, value: hex('6e 00 01 ff') }, // PRIORITY, RFC 8445
          { type: 0x8029, value: hex('93 2f f9 b1 51 26 3b 36') }, // ICE-CONTROLLED, RFC 8445
          username('evtj:h6vY'),
        ],
      },
      { integrityKey: PASSWORD, fingerprint: true, paddingByte: 0x20 },
    );
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(SAMPLE_REQUEST).toString('hex'));
  });
});

describe.each([
  ['§2.2 IPv4', SAMPLE_IPV4_RESPONSE, { address: '192.0.2.1', port: 32853 }],
  ['§2.3 IPv6', SAMPLE_IPV6_RESPONSE, { address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }],
])('RFC 5769 %s sample response', (_name, vector, mapped) => {
  const m = decoded(vector);
  it('decodes the XOR-MAPPED-ADDRESS and SOFTWARE, and verifies', () => {
    expect(m.class).toBe('success');
    expect(readXorMappedAddress(m)).toEqual(mapped);
    expect(readSoftware(m)).toBe('test vector');
    expect(verifyMessageIntegrity(m, PASSWORD)).toBe(true);
    expect(verifyFingerprint(m)).toBe(true);
  });
  it('is re-encoded byte for byte', () => {
    const bytes = encodeMessage(
      {
        method: StunMethod.Binding,
        class: 'success',
        transactionId: TX,
        attributes: [software('test vector'), xorMappedAddress(mapped)],
      },
      { integrityKey: PASSWORD, fingerprint: true, paddingByte: 0x20 },
    );
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(vector).toString('hex'));
  });
});

describe('RFC 5769 §2.4 sample request with long-term authentication', () => {
  const m = decoded(SAMPLE_LONG_TERM_REQUEST);
  const key = longTermKey(LT_USERNAME, 'example.org', LT_PASSWORD);
  it('decodes USERNAME, NONCE and REALM', () => {
    expect(readUsername(m)).toBe(LT_USERNAME);
    expect(readNonce(m)).toBe('f//499k954d6OL34oL9FSTvy64sA');
    expect(readRealm(m)).toBe('example.org');
    expect(getAttribute(m, AttributeType.Fingerprint)).toBeUndefined();
    expect(verifyFingerprint(m)).toBeUndefined();
  });
  it('verifies with the long-term key of the SASLprepped password', () => {
    expect(key).toEqual(longTermKey(LT_USERNAME, 'example.org', 'TheMatrIX'));
    expect(verifyMessageIntegrity(m, key)).toBe(true);
  });
  it('is re-encoded byte for byte', () => {
    const bytes = encodeMessage(
      {
        method: StunMethod.Binding,
        class: 'request',
        transactionId: LT_TX,
        attributes: [username(LT_USERNAME), nonce('f//499k954d6OL34oL9FSTvy64sA'), realm('example.org')],
      },
      { integrityKey: key },
    );
    expect(Buffer.from(bytes).toString('hex')).toBe(Buffer.from(SAMPLE_LONG_TERM_REQUEST).toString('hex'));
  });
});
