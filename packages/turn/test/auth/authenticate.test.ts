import { createTransactionId, decodeMessage, encodeMessage, nonce, readNonce, realm, username, type AttributeSpec, type StunMessage } from '@natkit/stun';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticate.js';
import { CredentialStore } from '../../src/auth/credential-store.js';
import { NonceIssuer } from '../../src/auth/nonce.js';
import { passwordKey } from '../../src/auth/password-key.js';
import { mintRestCredentials, restPassword } from '../../src/auth/rest-credentials.js';
import { SourceRateLimiter } from '../../src/auth/rate-limit.js';
import { computeUserhash, passwordAlgorithm, passwordAlgorithms, PasswordAlgorithm, userhash } from '../../src/proto/index.js';

const REALM = 'natkit.test';
const SCOPE = 'udp|192.0.2.1';
let wall = 1_700_000_000;
const store = new CredentialStore({ realm: REALM, users: new Map([['alice', 'secret123']]), secrets: ['old-secret', 'new-secret'], wallSeconds: () => wall });
const nonces = new NonceIssuer(new Uint8Array(32).fill(7), 60_000);
const auth = new Authenticator(store, nonces);

function request(attributes: AttributeSpec[], key?: Uint8Array, sha256 = false): StunMessage {
  const bytes = encodeMessage(
    { method: 0x003, class: 'request', transactionId: createTransactionId(), attributes },
    key === undefined ? {} : sha256 ? { integritySha256Key: key } : { integrityKey: key },
  );
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function issuedNonce(now: number): string {
  const challenge = request(auth.challenge(SCOPE, now));
  return readNonce(challenge) ?? '';
}

const md5 = (u: string, p: string): Uint8Array => passwordKey(PasswordAlgorithm.Md5, u, REALM, p);

describe('Authenticator (RFC 8489 §9.2.4)', () => {
  it('challenges a request without integrity with REALM, a cookie nonce and PASSWORD-ALGORITHMS', () => {
    const out = auth.authenticate(request([]), SCOPE, 1000);
    expect(out.kind === 'refuse' && out.code).toBe(401);
    const n = issuedNonce(1000);
    expect(n.startsWith('obMatJos2AAAD')).toBe(true); // bits 0 and 1, rightmost first (RFC 8489 erratum)
  });

  it('accepts a static user with MD5 and MESSAGE-INTEGRITY, refuses a wrong password with 401', () => {
    const n = issuedNonce(1000);
    const good = auth.authenticate(request([username('alice'), realm(REALM), nonce(n)], md5('alice', 'secret123')), SCOPE, 2000);
    expect(good.kind === 'ok' && good.username).toBe('alice');
    const bad = auth.authenticate(request([username('alice'), realm(REALM), nonce(n)], md5('alice', 'nope')), SCOPE, 2000);
    expect(bad.kind === 'refuse' && bad.code).toBe(401);
  });

  it('answers 438 to an expired nonce and to a nonce issued to another client', () => {
    const n = issuedNonce(1000);
    const key = md5('alice', 'secret123');
    const late = auth.authenticate(request([username('alice'), realm(REALM), nonce(n)], key), SCOPE, 1000 + 61_000);
    expect(late.kind === 'refuse' && late.code).toBe(438);
    const moved = auth.authenticate(request([username('alice'), realm(REALM), nonce(n)], key), 'udp|192.0.2.2', 2000);
    expect(moved.kind === 'refuse' && moved.code).toBe(438);
  });

  it('accepts REST credentials under any configured secret until they expire', () => {
    for (const secret of ['old-secret', 'new-secret']) {
      const c = mintRestCredentials(secret, 'bob', 600, wall);
      expect(restPassword(secret, c.username)).toBe(c.password);
      const n = issuedNonce(1000);
      const ok = auth.authenticate(request([username(c.username), realm(REALM), nonce(n)], md5(c.username, c.password)), SCOPE, 1500);
      expect(ok.kind).toBe('ok');
    }
    const expired = `${wall - 1}:bob`;
    const n = issuedNonce(1000);
    const out = auth.authenticate(request([username(expired), realm(REALM), nonce(n)], md5(expired, restPassword('new-secret', expired))), SCOPE, 1500);
    expect(out.kind === 'refuse' && out.code).toBe(401);
  });

  it('minted REST passwords never hold + or / (URL-safe for libdatachannel)', () => {
    for (let i = 0; i < 300; i++) {
      const c = mintRestCredentials(`s${i}`, 'peer', 3600, 1_700_000_000 + i * 7);
      expect(c.password).not.toMatch(/[+/]/);
    }
    wall += 0;
  });

  it('SHA-256 password algorithm, USERHASH and MESSAGE-INTEGRITY-SHA256', () => {
    const n = issuedNonce(1000);
    const offer = [
      { algorithm: PasswordAlgorithm.Sha256, parameters: new Uint8Array(0) },
      { algorithm: PasswordAlgorithm.Md5, parameters: new Uint8Array(0) },
    ];
    const key = passwordKey(PasswordAlgorithm.Sha256, 'alice', REALM, 'secret123');
    const attrs = [userhash(computeUserhash('alice', REALM)), realm(REALM), nonce(n), passwordAlgorithms(offer), passwordAlgorithm(offer[0]!)];
    const ok = auth.authenticate(request(attrs, key, true), SCOPE, 1500);
    expect(ok.kind === 'ok' && ok.sha256 && ok.username).toBe('alice');
    // Bid-down: a PASSWORD-ALGORITHMS list that is not the offer gets 400.
    const tampered = [userhash(computeUserhash('alice', REALM)), realm(REALM), nonce(n), passwordAlgorithms([offer[1]!]), passwordAlgorithm(offer[1]!)];
    const refused = auth.authenticate(request(tampered, md5('alice', 'secret123'), true), SCOPE, 1500);
    expect(refused.kind === 'refuse' && refused.code).toBe(400);
    const half = auth.authenticate(request([username('alice'), realm(REALM), nonce(n), passwordAlgorithm(offer[0]!)], key), SCOPE, 1500);
    expect(half.kind === 'refuse' && half.code).toBe(400);
  });

  it('integrity without USERNAME, REALM or NONCE is a 400', () => {
    const out = auth.authenticate(request([realm(REALM)], md5('alice', 'secret123')), SCOPE, 1500);
    expect(out.kind === 'refuse' && out.code).toBe(400);
  });
});

describe('SourceRateLimiter', () => {
  it('allows a burst, then the rate, and never tracks more than its bound', () => {
    const rl = new SourceRateLimiter(5, 2, 100);
    let allowed = 0;
    for (let i = 0; i < 50; i++) if (rl.take('a', 0)) allowed++;
    expect(allowed).toBe(5);
    expect(rl.take('a', 500)).toBe(true);
    expect(rl.take('a', 500)).toBe(false);
    for (let i = 0; i < 10_000; i++) rl.take(`s${i}`, i);
    expect(rl.size).toBe(100);
  });
});
