import { createHmac, timingSafeEqual } from 'node:crypto';
import { PunchError } from '../errors.js';
import type { DecodeResult } from './punch-message.js';

/**
 * Seals and opens punch message bodies. The Noise session of `@natkit/peer`, or an HMAC keyed by a
 * punch token both sides got from the rendezvous (`createHmacAuthenticator`), plug in here.
 * `open` must never throw on hostile input.
 */
export interface ProbeAuthenticator {
  seal(body: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): DecodeResult<Uint8Array>;
}

/** Bytes of the truncated HMAC-SHA256 tag (128 bits, as RFC 2104 §5 allows down to half). */
export const HMAC_TAG_LENGTH = 16;
const LABEL = new TextEncoder().encode('natkit punch v1');

/**
 * HMAC-SHA256 over a label and the body, keyed by the punch token (at least 16 bytes) the
 * rendezvous issued to both peers; the tag is appended. A peer without the token can neither
 * make a probe nor an ack the engine accepts.
 */
export function createHmacAuthenticator(token: Uint8Array): ProbeAuthenticator {
  if (token.length < 16) throw new PunchError('ERR_PUNCH_OPTION', 'a punch token has at least 16 bytes');
  const key = Uint8Array.from(token);
  const tag = (body: Uint8Array): Uint8Array =>
    new Uint8Array(createHmac('sha256', key).update(LABEL).update(body).digest().subarray(0, HMAC_TAG_LENGTH));
  return {
    seal(body) {
      const out = new Uint8Array(body.length + HMAC_TAG_LENGTH);
      out.set(body);
      out.set(tag(body), body.length);
      return out;
    },
    open(sealed) {
      if (sealed.length <= HMAC_TAG_LENGTH) return { ok: false, reason: 'too short for a tag' };
      const body = sealed.subarray(0, sealed.length - HMAC_TAG_LENGTH);
      const given = sealed.subarray(sealed.length - HMAC_TAG_LENGTH);
      if (!timingSafeEqual(tag(body), given)) return { ok: false, reason: 'bad tag' };
      return { ok: true, value: Uint8Array.from(body) };
    },
  };
}
