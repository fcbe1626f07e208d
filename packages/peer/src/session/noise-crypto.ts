import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

/**
 * The Noise functions (Noise spec rev 34 §4) for `25519_ChaChaPoly_BLAKE2s`, on node:crypto
 * (OpenSSL): X25519 (RFC 7748), ChaCha20-Poly1305 (RFC 8439) and BLAKE2s-256 (RFC 7693).
 * Synchronous and pure apart from `generateDhKeyPair`.
 */
export const DHLEN = 32; // §12.1
export const HASHLEN = 32; // §12.3 (BLAKE2s)
export const TAGLEN = 16; // §5.1: ChaChaPoly tag
export const KEYLEN = 32;
const HASH = 'blake2s256';

// RFC 8410 §7 (PKCS#8) and §4 (SubjectPublicKeyInfo) prefixes for a raw 32-byte X25519 key.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

export interface DhKeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

export function dhKeyPairFromPrivate(raw: Uint8Array): DhKeyPair {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(SPKI_X25519.length)) };
}

export function generateDhKeyPair(): DhKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(SPKI_X25519.length)) };
}

/** DH(kp, pk) (§4.1); `undefined` when `pk` is not a usable point (OpenSSL refuses an all-zero result). */
export function dh(keyPair: DhKeyPair, publicKey: Uint8Array): Uint8Array | undefined {
  if (publicKey.length !== DHLEN) return undefined;
  try {
    const peer = createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: 'der', type: 'spki' });
    return new Uint8Array(diffieHellman({ privateKey: keyPair.privateKey, publicKey: peer }));
  } catch {
    return undefined;
  }
}

export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = createHash(HASH);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac(HASH, key);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/** HKDF(chaining_key, input_key_material, num_outputs) of §4.3, for 2 or 3 outputs. */
export function hkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const tempKey = hmac(chainingKey, inputKeyMaterial);
  const out1 = hmac(tempKey, Uint8Array.of(1));
  const out2 = hmac(tempKey, out1, Uint8Array.of(2));
  if (outputs === 2) return [out1, out2];
  return [out1, out2, hmac(tempKey, out2, Uint8Array.of(3))];
}

/** The ChaChaPoly nonce of §12.3: 32 bits of zeros, then the 64-bit counter little-endian. */
export function nonceOf(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32LE(counter >>> 0, 4);
  nonce.writeUInt32LE(Math.floor(counter / 0x1_0000_0000), 8);
  return nonce;
}

/** The nonce 2^64-1, reserved for Rekey (§11.3). */
const MAX_NONCE = Buffer.concat([Buffer.alloc(4), Buffer.alloc(8, 0xff)]);

export function encrypt(key: Uint8Array | KeyObject, nonce: Buffer, ad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAGLEN });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const body = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** Decrypts `ciphertext || tag`; `undefined` when authentication fails (never throws). */
export function decrypt(key: Uint8Array | KeyObject, nonce: Buffer, ad: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
  if (ciphertext.length < TAGLEN) return undefined;
  const bodyLength = ciphertext.length - TAGLEN;
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAGLEN });
    decipher.setAAD(ad, { plaintextLength: bodyLength });
    decipher.setAuthTag(ciphertext.subarray(bodyLength));
    const body = decipher.update(ciphertext.subarray(0, bodyLength));
    decipher.final();
    return body;
  } catch {
    return undefined;
  }
}

/** REKEY(k) of §4.2 / §11.3: the first 32 bytes of ENCRYPT(k, maxnonce, zerolen, zeros). One-way. */
export function rekey(key: Uint8Array): Uint8Array {
  return new Uint8Array(encrypt(key, MAX_NONCE, new Uint8Array(0), new Uint8Array(KEYLEN)).subarray(0, KEYLEN));
}
