import { normalizeAddress } from '@natkit/net';

/** Why a connection was not admitted. */
export type CapRefusal = 'total' | 'per-address';

/**
 * Counts open connections, in total and per source IP, against two caps. `admit` returns a
 * release function (idempotent) or the cap that refused.
 */
export class ConnectionCaps {
  readonly #perAddress = new Map<string, number>();
  #open = 0;

  constructor(
    readonly maxTotal: number,
    readonly maxPerAddress: number,
  ) {}

  get open(): number {
    return this.#open;
  }

  admit(address: string): { release: () => void } | { refused: CapRefusal } {
    const key = normalizeAddress(address);
    const n = this.#perAddress.get(key) ?? 0;
    if (this.#open >= this.maxTotal) return { refused: 'total' };
    if (n >= this.maxPerAddress) return { refused: 'per-address' };
    this.#perAddress.set(key, n + 1);
    this.#open += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        const left = (this.#perAddress.get(key) ?? 1) - 1;
        if (left <= 0) this.#perAddress.delete(key);
        else this.#perAddress.set(key, left);
      },
    };
  }
}
