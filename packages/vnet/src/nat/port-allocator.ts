import type { Prng } from '../prng.js';
import type { NatBehavior } from './nat-behavior.js';

/**
 * Chooses external ports for new mappings on one external address, per the NAT's
 * `portAllocation`. `isUsed` tells which ports are taken; every search is bounded by the size of
 * the port range. Returns undefined when the range is exhausted.
 */
export class PortAllocator {
  readonly #min: number;
  readonly #size: number;
  #next: number;

  constructor(
    private readonly behavior: NatBehavior,
    private readonly random: Prng,
  ) {
    const [min, max] = behavior.portRange;
    this.#min = min;
    this.#size = max - min + 1;
    this.#next = this.#inRange(behavior.firstPort) ? behavior.firstPort : min;
  }

  allocate(internalPort: number, isUsed: (port: number) => boolean): number | undefined {
    switch (this.behavior.portAllocation) {
      case 'preserve': {
        const start = this.#inRange(internalPort) ? internalPort : this.#next;
        return this.#scan(start, 1, isUsed);
      }
      case 'sequential': {
        const port = this.#scan(this.#next, this.behavior.delta, isUsed) ?? this.#scan(this.#next, 1, isUsed);
        if (port !== undefined) this.#next = this.#wrap(port + this.behavior.delta);
        return port;
      }
      case 'random': {
        for (let i = 0; i < 64; i++) {
          const port = this.#min + this.random.int(this.#size);
          if (!isUsed(port)) return port;
        }
        return this.#scan(this.#min + this.random.int(this.#size), 1, isUsed);
      }
    }
  }

  #scan(start: number, step: number, isUsed: (port: number) => boolean): number | undefined {
    let port = start;
    for (let i = 0; i < this.#size; i++) {
      if (!isUsed(port)) return port;
      port = this.#wrap(port + step);
    }
    return undefined;
  }

  #wrap(port: number): number {
    return this.#min + ((((port - this.#min) % this.#size) + this.#size) % this.#size);
  }

  #inRange(port: number): boolean {
    return port >= this.#min && port < this.#min + this.#size;
  }
}
