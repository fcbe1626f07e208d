import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePeerId, Identity, IdentityError, signedBytes, toX25519PublicKey, verifySignature } from '../src/index.js';

const CONTEXT = 'natkit/test/v1';
const message = Buffer.from('challenge 1234');

describe('domain-separated signatures', () => {
  const alice = Identity.generate();
  const signature = alice.sign(CONTEXT, message);

  it('verify by peer id and by raw key', () => {
    expect(signature).toHaveLength(64);
    expect(verifySignature(alice.peerId, CONTEXT, message, signature)).toBe(true);
    expect(verifySignature(alice.publicKey, CONTEXT, message, signature)).toBe(true);
  });

  it('a signature for one context is worthless in another, even with shifted bytes', () => {
    expect(verifySignature(alice.peerId, 'natkit/test/v2', message, signature)).toBe(false);
    // Without the length byte, ('natkit/test/v' + '1challenge') would sign the same bytes.
    const shifted = alice.sign('natkit/test/v', Buffer.concat([Buffer.from('1'), message]));
    expect(verifySignature(alice.peerId, CONTEXT, message, shifted)).toBe(false);
    expect(signedBytes('ab', Buffer.from('c'))).not.toEqual(signedBytes('a', Buffer.from('bc')));
  });

  it('rejects another key, a changed message, any flipped bit of the signature', () => {
    expect(verifySignature(Identity.generate().peerId, CONTEXT, message, signature)).toBe(false);
    expect(verifySignature(alice.peerId, CONTEXT, Buffer.from('challenge 1235'), signature)).toBe(false);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = Uint8Array.from(signature);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifySignature(alice.peerId, CONTEXT, message, bad)).toBe(false);
    }
  });

  it('hostile inputs give false, never an exception', () => {
    const identityPoint = new Uint8Array(32);
    identityPoint[0] = 1;
    // (R = identity, S = 0) verifies for any message under the identity point in plain Ed25519.
    const forged = Buffer.concat([identityPoint, Buffer.alloc(32)]);
    expect(verifySignature(identityPoint, CONTEXT, message, forged)).toBe(false);
    expect(verifySignature('not a peer id', CONTEXT, message, signature)).toBe(false);
    expect(verifySignature(alice.peerId, 'has space', message, signature)).toBe(false);
    expect(verifySignature(alice.peerId, '', message, signature)).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 70 }), (key, sig, ctx) => {
      expect(verifySignature(key, ctx, message, sig)).toBe(false);
    }), { numRuns: 500 });
  });

  it('sign refuses a context that is not 1-64 printable ASCII', () => {
    for (const bad of ['', 'a b', 'é', 'x'.repeat(65), 'tab\t']) {
      expect(() => alice.sign(bad, message)).toThrow(IdentityError);
    }
    expect(alice.sign('x'.repeat(64), message)).toHaveLength(64);
  });
});

describe('Identity', () => {
  it('never prints its private key', () => {
    const identity = Identity.generate();
    const seed = Buffer.from(createPrivateKey(identity.toPem()).export({ format: 'jwk' }).d!, 'base64url');
    const printed = JSON.stringify(identity) + inspect(identity, { showHidden: true, depth: 5 });
    expect(JSON.parse(JSON.stringify(identity))).toEqual({ peerId: identity.peerId });
    for (const form of [seed.toString('hex'), seed.toString('base64url'), seed.toString('base64'), 'PRIVATE']) {
      expect(printed).not.toContain(form);
    }
    expect(inspect(identity, { showHidden: true, depth: 5 })).not.toMatch(new RegExp(`\\b${seed[0]}, ${seed[1]}, ${seed[2]}, ${seed[3]}\\b`));
  });

  it('round-trips through PEM and from its seed', () => {
    const identity = Identity.generate();
    expect(Identity.fromPem(identity.toPem()).peerId).toBe(identity.peerId);
    const seed = Buffer.from(createPrivateKey(identity.toPem()).export({ format: 'jwk' }).d!, 'base64url');
    expect(Identity.fromSeed(seed).peerId).toBe(identity.peerId);
    expect(() => Identity.fromSeed(new Uint8Array(31))).toThrow(IdentityError);
  });

  it('its X25519 key pair is the birational image of the Ed25519 one (node:crypto agrees)', () => {
    const a = Identity.generate();
    const b = Identity.generate();
    const x = (raw: Uint8Array, priv: boolean) =>
      priv
        ? createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]), format: 'der', type: 'pkcs8' })
        : createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
    // node derives the X25519 public key from the converted private scalar: it must equal the converted public key.
    const derived = createPublicKey(x(a.x25519PrivateKey(), true)).export({ format: 'jwk' }).x;
    expect(derived).toBe(Buffer.from(toX25519PublicKey(a.publicKey)).toString('base64url'));
    expect(a.x25519PublicKey).toEqual(toX25519PublicKey(a.publicKey));
    const ab = diffieHellman({ privateKey: x(a.x25519PrivateKey(), true), publicKey: x(b.x25519PublicKey, false) });
    const ba = diffieHellman({ privateKey: x(b.x25519PrivateKey(), true), publicKey: x(a.x25519PublicKey, false) });
    expect(ab).toEqual(ba);
  });

  it('refuses a private key that is not Ed25519', () => {
    const pem = generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => Identity.fromPem(pem)).toThrow(/x25519 key, not Ed25519/);
    expect(() => Identity.fromPem('garbage')).toThrow(IdentityError);
    expect(() => encodePeerId(new Uint8Array(31))).toThrow(IdentityError);
  });
});

describe('Ed25519 -> X25519', () => {
  it('matches @noble/curves on many keys, and refuses what it refuses', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    for (let i = 0; i < 50; i++) {
      const identity = Identity.generate();
      expect(toX25519PublicKey(identity.publicKey)).toEqual(ed25519.utils.toMontgomery(identity.publicKey));
      const seed = Buffer.from(createPrivateKey(identity.toPem()).export({ format: 'jwk' }).d!, 'base64url');
      expect(identity.x25519PrivateKey()).toEqual(ed25519.utils.toMontgomerySecret(seed));
    }
    expect(() => toX25519PublicKey(new Uint8Array(32))).toThrow(TypeError);
  });
});
