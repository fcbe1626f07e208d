import { randomFillSync } from 'node:crypto';

/**
 * Random tokens (challenges, connection ids, nonces) cut from a pool refilled from the CSPRNG
 * 4 KiB at a time: one system call per pool instead of one per token.
 */
export class RandomTokens {
  readonly #pool = Buffer.alloc(4096);
  #offset = this.#pool.length;

  /** `bytes` random bytes as base64url text (`bytes` at most 4096). */
  next(bytes: number): string {
    if (this.#offset + bytes > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const text = this.#pool.toString('base64url', this.#offset, this.#offset + bytes);
    this.#offset += bytes;
    return text;
  }
}
