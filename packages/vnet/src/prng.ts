/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32). Every random choice
 * in the virtual network (loss, jitter, random ports) comes from one of these, so that a run
 * replays exactly from its seed.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An independent generator derived from this one's seed and a label. */
  fork(label: string): Prng;
}

export function createPrng(seed: number): Prng {
  return new Sfc32(seed >>> 0);
}

class Sfc32 implements Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(readonly seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = split();
    this.#b = split();
    this.#c = split();
    this.#d = split();
    for (let i = 0; i < 12; i++) this.#u32();
  }

  #u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.#u32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  fork(label: string): Prng {
    // FNV-1a over the label, mixed with this generator's seed.
    let h = 0x811c9dc5 ^ this.seed;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Sfc32(h >>> 0);
  }
}
