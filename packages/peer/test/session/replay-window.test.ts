import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_SIZE, ReplayWindow } from '../../src/session/replay-window.js';

/** The obvious model: remember every counter, accept one once if within the window of the highest. */
class ModelWindow {
  readonly seen = new Set<number>();
  highest = -1;
  check(c: number): 'ok' | 'replay' | 'too-old' {
    if (c > this.highest) return 'ok';
    if (c <= this.highest - REPLAY_WINDOW_SIZE) return 'too-old';
    return this.seen.has(c) ? 'replay' : 'ok';
  }
  mark(c: number): void {
    this.seen.add(c);
    this.highest = Math.max(this.highest, c);
  }
}

describe('ReplayWindow', () => {
  it('agrees with a model that remembers everything, on any sequence of counters', () => {
    const counter = fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }));
    fc.assert(fc.property(fc.array(fc.tuple(counter, fc.boolean()), { maxLength: 400 }), (steps) => {
      const window = new ReplayWindow();
      const model = new ModelWindow();
      for (const [c, authentic] of steps) {
        const verdict = window.check(c);
        expect(verdict).toBe(model.check(c));
        // only authenticated packets are marked; forged ones leave no trace
        if (verdict === 'ok' && authentic) {
          window.mark(c);
          model.mark(c);
        }
      }
      expect(window.highest).toBe(model.highest);
    }), { numRuns: 300 });
  });

  it('dense runs around the window edge', () => {
    const window = new ReplayWindow();
    const model = new ModelWindow();
    for (let round = 0; round < 3; round++) {
      for (let c = round * 3000; c < round * 3000 + 2100; c += 1 + (c % 3)) {
        for (const probe of [c, c - 2047, c - 2048, c - 2049, c + 1]) {
          if (probe >= 0) expect(window.check(probe), `probe ${probe}`).toBe(model.check(probe));
        }
        if (window.check(c) === 'ok') {
          window.mark(c);
          model.mark(c);
        }
      }
    }
  });
});
