import { createHash } from 'node:crypto';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePeerId, encodePeerId, Identity, isPeerId, PEER_ID_LENGTH, PEER_ID_PATTERN } from '../src/index.js';
import { decodeBase32, encodeBase32 } from '../src/base32.js';

// RFC 8032 §7.1 TEST 1: secret key (seed) and public key.
const RFC8032_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC8032_PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');

describe('base32 (RFC 4648 §6, lower case)', () => {
  it('encodes the RFC 4648 §10 vectors', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [plain, text] of vectors) {
      expect(encodeBase32(Buffer.from(plain))).toBe(text);
      expect(Buffer.from(decodeBase32(text)!).toString()).toBe(plain);
    }
  });
  it('round-trips any bytes and rejects non-zero padding bits', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect(decodeBase32(encodeBase32(bytes))).toEqual(bytes);
    }));
    expect(decodeBase32('mz')).toBeUndefined(); // 'z' leaves 2 non-zero padding bits
    expect(decodeBase32('MY')).toBeUndefined();
    expect(decodeBase32('m')).toBeUndefined(); // 5 bits: no whole byte
  });
});

describe('peer id', () => {
  it('is the frozen v1 text of the RFC 8032 test key', () => {
    expect(Identity.fromSeed(RFC8032_SEED).publicKey).toEqual(new Uint8Array(RFC8032_PUBLIC));
    const id = encodePeerId(RFC8032_PUBLIC);
    // Frozen (cross-checked with Python's base64.b32encode): changing it breaks every stored peer id.
    expect(id).toBe('nk125njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenalra');
    expect(id).toHaveLength(PEER_ID_LENGTH);
    expect(id).toMatch(PEER_ID_PATTERN);
  });

  it('round-trips generated keys', () => {
    for (let i = 0; i < 20; i++) {
      const identity = Identity.generate();
      const r = decodePeerId(identity.peerId);
      expect(r.ok && r.value.id === identity.peerId && Buffer.from(r.value.publicKey).equals(identity.publicKey)).toBe(true);
    }
  });

  it('rejects any single changed character', () => {
    const id = Identity.generate().peerId;
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567A1_-';
    for (let i = 0; i < id.length; i++) {
      for (const c of alphabet) {
        if (c === id[i]) continue;
        const changed = id.slice(0, i) + c + id.slice(i + 1);
        expect(decodePeerId(changed).ok, changed).toBe(false);
      }
    }
  });

  it('says why hostile text is refused', () => {
    const id = Identity.generate().peerId;
    const reasons = (x: unknown): string => {
      const r = decodePeerId(x);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reasons(42)).toMatch(/string/);
    expect(reasons('')).toMatch(/58 characters/);
    expect(reasons(id + 'a')).toMatch(/58 characters/);
    expect(reasons('xx1' + id.slice(3))).toMatch(/starts with/);
    expect(reasons(id.toUpperCase())).toMatch(/starts with/);
    expect(reasons('nk1' + id.slice(3).toUpperCase())).toMatch(/base32/);
    expect(isPeerId(id)).toBe(true);
  });

  it('refuses keys of small order, which anyone can sign for', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      const key = Buffer.from(hex, 'hex');
      expect(() => encodePeerId(key)).toThrow(/small order/);
    }
    // Even with a correct checksum, a small-order key does not decode.
    const identityPoint = Buffer.alloc(32);
    identityPoint[0] = 1;
    const forged = forgePeerIdText(identityPoint);
    const r = decodePeerId(forged);
    expect(r.ok ? 'ok' : r.reason).toMatch(/small order/);
  });

  it('refuses non-canonical encodings and points off the curve', () => {
    const nonCanonical = Buffer.alloc(32, 0xff); // y >= p
    nonCanonical[31] = 0x7f;
    expect(decodePeerId(forgePeerIdText(nonCanonical)).ok).toBe(false);
    let offCurve: Uint8Array | undefined;
    for (let b = 2; b < 64 && offCurve === undefined; b++) {
      const key = Buffer.alloc(32);
      key[0] = b;
      try {
        ed25519.Point.fromBytes(key);
      } catch {
        offCurve = key;
      }
    }
    expect(offCurve).toBeDefined();
    const r = decodePeerId(forgePeerIdText(offCurve!));
    expect(r.ok ? 'ok' : r.reason).toMatch(/not a point/);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ minLength: 58, maxLength: 58 }), fc.stringMatching(PEER_ID_PATTERN), fc.anything()), (x) => {
      const r = decodePeerId(x);
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 2000 });
  });
});

/** A peer id text with a valid checksum for any 32 bytes (bypassing encodePeerId's key check). */
function forgePeerIdText(key: Uint8Array): string {
  const sum = createHash('sha256').update('natkit-peer-id-v1').update(key).digest().subarray(0, 2);
  return 'nk1' + encodeBase32(Buffer.concat([key, sum]));
}
