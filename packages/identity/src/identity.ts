import { createPrivateKey, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { SEED_LENGTH, toX25519PrivateKey, toX25519PublicKey } from './ed25519-key.js';
import { IdentityError } from './errors.js';
import { encodePeerId, type PeerId } from './peer-id.js';
import { signedBytes } from './signature.js';

// RFC 8410 §7: PKCS#8 PrivateKeyInfo for Ed25519 is this fixed prefix followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A peer's Ed25519 key pair. The private key stays inside (`#` fields, never printed); only
 * `sign`, `x25519PrivateKey` and `toPem` reveal anything derived from it.
 */
export class Identity {
  readonly peerId: PeerId;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The X25519 public key of the same point: this peer's Noise static public key. */
  readonly x25519PublicKey: Uint8Array;
  readonly #privateKey: KeyObject;
  readonly #seed: Uint8Array;

  private constructor(privateKey: KeyObject) {
    const jwk = privateKey.export({ format: 'jwk' });
    if (privateKey.asymmetricKeyType !== 'ed25519' || jwk.d === undefined || jwk.x === undefined) {
      throw new IdentityError('ERR_IDENTITY_KEY', `not an Ed25519 private key (${privateKey.asymmetricKeyType ?? 'unknown'})`);
    }
    this.#privateKey = privateKey;
    this.#seed = Buffer.from(jwk.d, 'base64url');
    this.publicKey = new Uint8Array(Buffer.from(jwk.x, 'base64url'));
    this.peerId = encodePeerId(this.publicKey);
    this.x25519PublicKey = toX25519PublicKey(this.publicKey);
  }

  /** A new random key pair. */
  static generate(): Identity {
    // From a random seed, not generateKeyPairSync: on Node 20.20 a GC that finalises a generated
    // key pair during the JWK export below deadlocked the process (seen in a 100,000-peer run).
    return Identity.fromSeed(randomBytes(SEED_LENGTH));
  }

  /** The key pair of a 32-byte RFC 8032 seed (the private key). */
  static fromSeed(seed: Uint8Array): Identity {
    if (seed.length !== SEED_LENGTH) throw new IdentityError('ERR_IDENTITY_KEY', `an Ed25519 seed has 32 bytes, not ${seed.length}`);
    const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
    return new Identity(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
  }

  /** Reads a PEM PKCS#8 Ed25519 private key (`openssl genpkey -algorithm ed25519`). */
  static fromPem(pem: string): Identity {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (error) {
      throw new IdentityError('ERR_KEY_FILE_FORMAT', 'not a PEM private key', error);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new IdentityError('ERR_KEY_FILE_FORMAT', `a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
    }
    return new Identity(key);
  }

  /** Ed25519 signature (64 bytes) over `message` in `context` (see `signedBytes`). */
  sign(context: string, message: Uint8Array): Uint8Array {
    return new Uint8Array(cryptoSign(null, signedBytes(context, message), this.#privateKey));
  }

  /** SECRET: the X25519 private scalar of this key (the Noise static private key). */
  x25519PrivateKey(): Uint8Array {
    return toX25519PrivateKey(this.#seed);
  }

  /** SECRET: the private key as PEM PKCS#8, the key file format. */
  toPem(): string {
    return this.#privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }

  /** Never prints the key. */
  toJSON(): { peerId: PeerId } {
    return { peerId: this.peerId };
  }
}

