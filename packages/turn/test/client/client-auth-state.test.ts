import { createHash } from 'node:crypto';
import {
  AttributeType,
  decodeMessage,
  encodeMessage,
  errorCode,
  getAttribute,
  longTermKey,
  nonce,
  readNonce,
  readRealm,
  readUsername,
  realm,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
  type AttributeSpec,
  type StunMessage,
} from '@natkit/stun';
import { describe, expect, it } from 'vitest';
import { ClientAuthState } from '../../src/client/client-auth-state.js';
import { readNonceFeatures } from '../../src/client/nonce-features.js';
import { computeUserhash, PasswordAlgorithm, passwordAlgorithms, readPasswordAlgorithm, readUserhash } from '../../src/proto/index.js';

const id = new Uint8Array(12).fill(7);
const alice = { username: 'alice', password: 'secret' };

function answer(code: number, attributes: AttributeSpec[]): StunMessage {
  const bytes = encodeMessage({ method: 3, class: 'error', transactionId: id, attributes: [errorCode(code, 'x'), ...attributes] });
  const m = decodeMessage(bytes);
  if (!m.ok) throw new Error(m.reason);
  return m.value;
}

/** Encodes a request the way the session does and decodes it, as a server would see it. */
function signedRequest(auth: ClientAuthState): StunMessage {
  const bytes = encodeMessage({ method: 3, class: 'request', transactionId: id, attributes: auth.requestAttributes() }, auth.encodeOptions());
  const m = decodeMessage(bytes);
  if (!m.ok) throw new Error(m.reason);
  return m.value;
}

/** `obMatJos2` followed by the 24 feature bits in base64. RFC 8489 §9.2 */
const cookieNonce = (bits: number, rest = 'abcdef'): string =>
  `obMatJos2${Buffer.from([bits >> 16, (bits >> 8) & 0xff, bits & 0xff]).toString('base64')}${rest}`;

describe('readNonceFeatures', () => {
  it('reads bit 0 (password algorithms) and bit 1 (anonymity) from the right, as the RFC 8489 erratum and libjuice do', () => {
    expect(readNonceFeatures(cookieNonce(0x000001))).toEqual({ passwordAlgorithms: true, userAnonymity: false });
    expect(readNonceFeatures(cookieNonce(0x000003))).toEqual({ passwordAlgorithms: true, userAnonymity: true });
    expect(readNonceFeatures('obMatJos2AAADxyz')).toEqual({ passwordAlgorithms: true, userAnonymity: true });
    // The reading of the uncorrected RFC text (bit 0 leftmost) announces nothing to libjuice, nor to us.
    expect(readNonceFeatures('obMatJos2wAAAxyz')).toEqual({ passwordAlgorithms: false, userAnonymity: false });
    expect(readNonceFeatures('f00dcafe')).toEqual({ passwordAlgorithms: false, userAnonymity: false });
    expect(readNonceFeatures('obMatJos2')).toEqual({ passwordAlgorithms: false, userAnonymity: false });
    expect(readNonceFeatures('obMatJos2!!!!')).toEqual({ passwordAlgorithms: false, userAnonymity: false });
  });
});

describe('ClientAuthState', () => {
  it('sends nothing before a challenge, then USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (MD5 key)', () => {
    const auth = new ClientAuthState(alice);
    expect(auth.ready).toBe(false);
    expect(auth.requestAttributes()).toEqual([]);
    expect(auth.onChallenge(answer(401, [realm('test'), nonce('n1')]), false)).toEqual({ kind: 'retry' });
    const req = signedRequest(auth);
    expect(readUsername(req)).toBe('alice');
    expect(readRealm(req)).toBe('test');
    expect(readNonce(req)).toBe('n1');
    expect(verifyMessageIntegrity(req, longTermKey('alice', 'test', 'secret'))).toBe(true);
    expect(getAttribute(req, AttributeType.MessageIntegritySha256)).toBeUndefined();
    expect(auth.features).toEqual({ sha256: false, userhash: false });
  });

  it('calls a 401 to a signed request wrong credentials', () => {
    const auth = new ClientAuthState(alice);
    auth.onChallenge(answer(401, [realm('test'), nonce('n1')]), false);
    expect(auth.onChallenge(answer(401, [realm('test'), nonce('n2')]), true)).toEqual({ kind: 'fail', reason: 'wrong-credentials' });
  });

  it('refuses a 401 without REALM or NONCE', () => {
    expect(new ClientAuthState(alice).onChallenge(answer(401, [nonce('n')]), false)).toEqual({ kind: 'fail', reason: 'bad-challenge' });
    expect(new ClientAuthState(alice).onChallenge(answer(401, [realm('r')]), false)).toEqual({ kind: 'fail', reason: 'bad-challenge' });
  });

  it('takes the fresh nonce of a 438 and gives up after three in a row', () => {
    const auth = new ClientAuthState(alice);
    auth.onChallenge(answer(401, [realm('test'), nonce('n1')]), false);
    expect(auth.onChallenge(answer(438, [nonce('n2')]), true)).toEqual({ kind: 'retry' });
    expect(readNonce(signedRequest(auth))).toBe('n2');
    auth.succeeded();
    for (let i = 0; i < 3; i++) expect(auth.onChallenge(answer(438, [nonce(`m${i}`)]), true).kind).toBe('retry');
    expect(auth.onChallenge(answer(438, [nonce('m9')]), true)).toEqual({ kind: 'fail', reason: 'stale-nonce-loop' });
  });

  it('uses SHA-256 and MESSAGE-INTEGRITY-SHA256 when the nonce cookie offers it, echoing PASSWORD-ALGORITHMS', () => {
    const auth = new ClientAuthState(alice);
    const offered = [
      { algorithm: PasswordAlgorithm.Sha256, parameters: new Uint8Array(0) },
      { algorithm: PasswordAlgorithm.Md5, parameters: new Uint8Array(0) },
    ];
    const n = cookieNonce(0x000001);
    expect(auth.onChallenge(answer(401, [realm('test'), nonce(n), passwordAlgorithms(offered)]), false)).toEqual({ kind: 'retry' });
    const req = signedRequest(auth);
    const key = createHash('sha256').update('alice:test:secret').digest();
    expect(verifyMessageIntegritySha256(req, key)).toBe(true);
    expect(getAttribute(req, AttributeType.MessageIntegrity)).toBeUndefined();
    expect(Buffer.from(getAttribute(req, AttributeType.PasswordAlgorithms)!.value).toString('hex')).toBe(Buffer.from(passwordAlgorithms(offered).value as Uint8Array).toString('hex'));
    expect(readPasswordAlgorithm(req)).toMatchObject({ algorithm: PasswordAlgorithm.Sha256 });
    expect(auth.features).toEqual({ sha256: true, userhash: false });
  });

  it('sends USERHASH instead of USERNAME when the server asks for anonymity', () => {
    const auth = new ClientAuthState(alice);
    const offered = [{ algorithm: PasswordAlgorithm.Sha256, parameters: new Uint8Array(0) }];
    auth.onChallenge(answer(401, [realm('test'), nonce(cookieNonce(0x000003)), passwordAlgorithms(offered)]), false);
    const req = signedRequest(auth);
    expect(readUsername(req)).toBeUndefined();
    expect(Buffer.from(readUserhash(req) as Uint8Array).toString('hex')).toBe(Buffer.from(computeUserhash('alice', 'test')).toString('hex'));
    expect(auth.features.userhash).toBe(true);
  });

  it('refuses a nonce that announces password algorithms without listing them (bid-down, RFC 8489 §9.2.5)', () => {
    const auth = new ClientAuthState(alice);
    expect(auth.onChallenge(answer(401, [realm('test'), nonce(cookieNonce(0x000001))]), false)).toEqual({ kind: 'fail', reason: 'bid-down' });
  });

  it('checks the integrity of answers with the negotiated key', () => {
    const auth = new ClientAuthState(alice);
    auth.onChallenge(answer(401, [realm('test'), nonce('n1')]), false);
    const ok = decodeMessage(encodeMessage({ method: 3, class: 'success', transactionId: id }, { integrityKey: longTermKey('alice', 'test', 'secret') }));
    const bad = decodeMessage(encodeMessage({ method: 3, class: 'success', transactionId: id }, { integrityKey: longTermKey('alice', 'test', 'other') }));
    expect(ok.ok && auth.verify(ok.value)).toBe(true);
    expect(bad.ok && auth.verify(bad.value)).toBe(false);
  });
});
