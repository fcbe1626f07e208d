import { VnetError } from '../errors.js';
import { cidrAddress, type Cidr } from './ip.js';

/** Hands out the addresses of a prefix in order, skipping taken ones. */
export class AddressPool {
  #next: bigint;

  constructor(
    readonly cidr: Cidr,
    firstIndex: number,
  ) {
    this.#next = BigInt(firstIndex);
  }

  /** The next free address; throws ERR_ADDRESS_IN_USE when the prefix is used up. */
  allocate(isTaken: (address: string) => boolean): string {
    // Bounded: a pool is only ever asked for as many addresses as there are hosts and routers.
    for (let i = 0; i < 1_000_000; i++) {
      const address = cidrAddress(this.cidr, this.#next);
      if (address === undefined) break;
      this.#next++;
      if (this.cidr.family === 4 && cidrAddress(this.cidr, this.#next) === undefined) break; // broadcast
      if (!isTaken(address)) return address;
    }
    throw new VnetError('ERR_ADDRESS_IN_USE', `no free address left in ${this.cidr.text}`);
  }
}
