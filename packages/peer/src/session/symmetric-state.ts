import { decrypt, encrypt, hash, HASHLEN, hkdf, nonceOf } from './noise-crypto.js';

/**
 * The CipherState and SymmetricState objects of Noise (§5.1, §5.2) during a handshake. Transport
 * messages do not use this CipherState: `Session` keeps explicit nonces and a replay window.
 */
export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  #k: Uint8Array | undefined;
  #n = 0;

  /** InitializeSymmetric(protocol_name) (§5.2). */
  constructor(protocolName: string) {
    const name = Buffer.from(protocolName, 'ascii');
    if (name.length <= HASHLEN) {
      this.#h = new Uint8Array(HASHLEN);
      this.#h.set(name);
    } else {
      this.#h = hash(name);
    }
    this.#ck = this.#h;
  }

  /** A copy to try a message on without spoiling this state. */
  clone(): SymmetricState {
    const copy = new SymmetricState('');
    copy.#ck = this.#ck;
    copy.#h = this.#h;
    copy.#k = this.#k;
    copy.#n = this.#n;
    return copy;
  }

  get handshakeHash(): Uint8Array {
    return this.#h;
  }

  mixHash(data: Uint8Array): void {
    this.#h = hash(this.#h, data);
  }

  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, k] = hkdf(this.#ck, inputKeyMaterial, 2);
    this.#ck = ck!;
    this.#k = k!;
    this.#n = 0;
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const out = this.#k === undefined ? plaintext : encrypt(this.#k, nonceOf(this.#n++), this.#h, plaintext);
    this.mixHash(out);
    return out;
  }

  /** `undefined` when authentication fails; the state is then unusable (the handshake is dropped). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | undefined {
    let out: Uint8Array | undefined = ciphertext;
    if (this.#k !== undefined) out = decrypt(this.#k, nonceOf(this.#n++), this.#h, ciphertext);
    if (out === undefined) return undefined;
    this.mixHash(ciphertext);
    return out;
  }

  /** Split() (§5.2): the initiator-to-responder key, then the responder-to-initiator key. */
  split(): [Uint8Array, Uint8Array] {
    const [k1, k2] = hkdf(this.#ck, new Uint8Array(0), 2);
    return [k1!, k2!];
  }
}
