import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  getAttribute,
  MAX_PADDING_LENGTH,
  padding,
  responsePort,
  StunEncodeError,
  StunMethod,
  unknownComprehensionRequired,
  verifyFingerprint,
  verifyMessageIntegrity,
  type AttributeSpec,
} from '../../src/index.js';

import { key, withTrailer } from './integrity-trailer.js';

describe('RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY', () => {
  it('are ignored, except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT', () => {
    const bytes = encodeMessage(
      { method: StunMethod.Binding, class: 'request', transactionId: createTransactionId(), attributes: [] },
      { integrityKey: key, integritySha256Key: key, fingerprint: true },
    );
    const r = decodeMessage(bytes);
    expect(r.ok && r.value.attributes.map((a) => a.type)).toEqual([
      AttributeType.MessageIntegrity,
      AttributeType.MessageIntegritySha256,
      AttributeType.Fingerprint,
    ]);
    expect(r.ok && r.value.ignored).toEqual([]);
  });

  it('RESPONSE-PORT and an unknown comprehension-required attribute after it do not count', () => {
    const unknown = { type: 0x7f01, value: new Uint8Array(4) };
    const r = decodeMessage(withTrailer([], [responsePort(9), unknown], false));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.attributes.map((a) => a.type)).toEqual([AttributeType.MessageIntegrity]);
    expect(r.value.ignored.map((a) => a.type)).toEqual([AttributeType.ResponsePort, 0x7f01]);
    expect(getAttribute(r.value, AttributeType.ResponsePort)).toBeUndefined();
    expect(unknownComprehensionRequired(r.value, new Set())).toEqual([AttributeType.MessageIntegrity]);
    expect(verifyMessageIntegrity(r.value, key)).toBe(true);
  });

  it('after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts', () => {
    const id = createTransactionId();
    const bytes = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id }, { integritySha256Key: key });
    const trailer = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes: [responsePort(9)] }, { integrityKey: key });
    const out = new Uint8Array(bytes.length + trailer.length - 20);
    out.set(bytes);
    out.set(trailer.subarray(20), bytes.length);
    out[3] = out.length - 20;
    const r = decodeMessage(out);
    expect(r.ok && r.value.attributes.map((a) => a.type)).toEqual([AttributeType.MessageIntegritySha256]);
    expect(r.ok && r.value.ignored.map((a) => a.type)).toEqual([AttributeType.ResponsePort, AttributeType.MessageIntegrity]);
  });

  it('an ignored attribute between MESSAGE-INTEGRITY and FINGERPRINT leaves FINGERPRINT last and valid', () => {
    const r = decodeMessage(withTrailer([], [responsePort(9)], true));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.attributes.map((a) => a.type)).toEqual([AttributeType.MessageIntegrity, AttributeType.Fingerprint]);
    expect(verifyFingerprint(r.value)).toBe(true);
  });

  it('ignored attributes still count towards the attribute limit', () => {
    const many = Array.from({ length: 10 }, () => ({ type: 0x8050, value: new Uint8Array(0) }));
    const r = decodeMessage(withTrailer([], many, false), { maxAttributes: 8 });
    expect(r.ok).toBe(false);
  });
});

describe('RFC 5780 §7.6: no message larger than one UDP datagram within 64 KiB', () => {
  it('PADDING at its largest with FINGERPRINT fits 65,507 bytes', () => {
    const bytes = encodeMessage(
      { method: StunMethod.Binding, class: 'request', transactionId: createTransactionId(), attributes: [padding(MAX_PADDING_LENGTH)] },
      { fingerprint: true },
    );
    expect(MAX_PADDING_LENGTH).toBe(65_472);
    expect(bytes.length).toBeLessThanOrEqual(65_507);
    expect(() => padding(65_508)).toThrow(StunEncodeError);
    expect(() => padding(MAX_PADDING_LENGTH + 1)).toThrow(StunEncodeError);
  });

  it('refuses any message over 65,507 bytes', () => {
    const big = (n: number): AttributeSpec => ({ type: 0x8050, value: new Uint8Array(n) });
    const spec = (n: number) => ({ method: StunMethod.Binding, class: 'request' as const, transactionId: createTransactionId(), attributes: [big(n)] });
    expect(encodeMessage(spec(65_460), { fingerprint: true }).length).toBe(65_492);
    expect(() => encodeMessage(spec(65_476), { fingerprint: true })).toThrow(StunEncodeError);
    expect(() => encodeMessage(spec(65_484))).toThrow(StunEncodeError);
    expect(encodeMessage(spec(65_480)).length).toBe(65_504);
  });
});
