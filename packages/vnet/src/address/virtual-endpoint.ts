import type { Endpoint, Family } from '@natkit/net';

/**
 * An endpoint with a canonical address and a precomputed map key (`address:port`), used on the
 * packet path so that lookups build no strings. The key and family are private fields behind
 * getters, so the object still compares equal to a plain `{ address, port }`.
 */
export class VirtualEndpoint implements Endpoint {
  readonly address: string;
  readonly port: number;
  readonly #key: string;
  readonly #family: Family;

  /** `address` must already be canonical (see `canonicalAddress`). */
  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
    this.#key = `${address}:${port}`;
    this.#family = address.includes(':') ? 6 : 4;
  }

  get key(): string {
    return this.#key;
  }

  get family(): Family {
    return this.#family;
  }
}
