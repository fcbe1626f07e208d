import { computeFingerprint, createTransactionId, encodeMessage, StunMethod, type AttributeSpec } from '../../src/index.js';

export const key = new TextEncoder().encode('secret');

/** A Binding request with `before`, MESSAGE-INTEGRITY, then `after` appended as raw attributes. */
export function withTrailer(before: readonly AttributeSpec[], after: readonly AttributeSpec[], fingerprint: boolean, transactionId: Uint8Array = createTransactionId()): Uint8Array {
  const id = transactionId;
  const signed = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes: before }, { integrityKey: key });
  const trailer = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes: after });
  const body = new Uint8Array(signed.length + trailer.length - 20);
  body.set(signed);
  body.set(trailer.subarray(20), signed.length);
  body[2] = (body.length - 20) >> 8;
  body[3] = (body.length - 20) & 0xff;
  if (!fingerprint) return body;
  const out = new Uint8Array(body.length + 8);
  out.set(body);
  out[2] = (out.length - 20) >> 8;
  out[3] = (out.length - 20) & 0xff;
  out.set([0x80, 0x28, 0, 4], body.length); // FINGERPRINT, RFC 8489 §14.7
  new DataView(out.buffer).setUint32(body.length + 4, computeFingerprint(out, body.length));
  return out;
}

