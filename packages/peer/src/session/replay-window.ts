/**
 * A sliding anti-replay window over 64-bit message counters (RFC 6479's bitmap, the size
 * WireGuard uses): a counter is accepted once, when it is within `WINDOW_SIZE` of the highest
 * counter seen. `check` does not change anything, so a packet is only `mark`ed after it has been
 * authenticated: forged packets cannot move the window.
 */
export const REPLAY_WINDOW_SIZE = 2048;
const WORDS = REPLAY_WINDOW_SIZE / 32;

export class ReplayWindow {
  readonly #bits = new Uint32Array(WORDS);
  #highest = -1;

  /** The highest counter accepted so far (-1 before the first). */
  get highest(): number {
    return this.#highest;
  }

  /** 'ok', or why the counter must be refused. */
  check(counter: number): 'ok' | 'replay' | 'too-old' {
    if (counter > this.#highest) return 'ok';
    if (counter <= this.#highest - REPLAY_WINDOW_SIZE) return 'too-old';
    const bit = counter % REPLAY_WINDOW_SIZE;
    return (this.#bits[bit >>> 5]! & (1 << (bit & 31))) !== 0 ? 'replay' : 'ok';
  }

  /** Records an authenticated counter that passed `check`. */
  mark(counter: number): void {
    if (counter > this.#highest) {
      const gap = counter - this.#highest;
      if (gap >= REPLAY_WINDOW_SIZE) {
        this.#bits.fill(0);
      } else {
        for (let c = this.#highest + 1; c < counter; c++) {
          const bit = c % REPLAY_WINDOW_SIZE;
          this.#bits[bit >>> 5]! &= ~(1 << (bit & 31));
        }
      }
      this.#highest = counter;
    }
    const bit = counter % REPLAY_WINDOW_SIZE;
    this.#bits[bit >>> 5]! |= 1 << (bit & 31);
  }
}
