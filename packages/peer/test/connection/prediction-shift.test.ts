import { describe, expect, it } from 'vitest';
import { allocationsBetween } from '../../src/connection/prediction-shift.js';

describe('allocationsBetween', () => {
  it('counts steps from the announced base to the latest allocation', () => {
    expect(allocationsBetween(40_000, 40_006, 1)).toBe(6);
    expect(allocationsBetween(1024, 1024 + 3 * 256, 256)).toBe(3);
    expect(allocationsBetween(40_006, 40_000, -1)).toBe(6);
    expect(allocationsBetween(65_534, 2, 4)).toBe(1);
  });

  it('says 0 (unknown) when the ports are not whole steps apart, moved backwards, or too far', () => {
    expect(allocationsBetween(40_000, 40_001, 256)).toBe(0);
    expect(allocationsBetween(40_006, 40_000, 1)).toBe(0);
    expect(allocationsBetween(40_000, 40_065, 1)).toBe(0);
    expect(allocationsBetween(40_000, 40_000, 1)).toBe(0);
  });
});
