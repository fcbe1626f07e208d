import { describe, expect, it } from 'vitest';
import { parseWorkers, pickWorker, relaySlices, workerPorts } from '../src/commands/worker-plan.js';

const ctx = (port: number) => ({ transport: 'udp' as const, client: { address: '192.0.2.1', port }, local: { address: '198.51.100.1', port: 3478 }, reply: () => undefined });

describe('the worker plan of natkit serve --workers', () => {
  it('splits the relay ports into disjoint slices that cover the range', () => {
    expect(relaySlices({ low: 49152, high: 65535 }, 3)).toEqual([
      { low: 49152, high: 54612 },
      { low: 54613, high: 60073 },
      { low: 60074, high: 65535 },
    ]);
    expect(() => relaySlices({ low: 100, high: 101 }, 3)).toThrow(/fewer ports than --workers 3/);
  });

  it('numbers worker ports after the highest port in use, or from --worker-port; ephemeral with port 0', () => {
    expect(workerPorts(2, 3478, 3479, undefined)).toEqual([3480, 3481]);
    expect(workerPorts(2, 3478, 3478, 4000)).toEqual([4000, 4001]);
    expect(workerPorts(2, 0, 0, undefined)).toEqual([0, 0]);
    expect(() => workerPorts(3, 65534, 65534, undefined)).toThrow(/go past 65535/);
  });

  it('picks a worker by the 5-tuple: the same one every time, spread over the workers, none when none is up', () => {
    expect(pickWorker(ctx(5000), [0, 1])).toBe(pickWorker(ctx(5000), [0, 1]));
    const counts = [0, 0];
    for (let p = 1; p <= 1000; p++) counts[pickWorker(ctx(p), [0, 1])!]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(400);
    expect(pickWorker(ctx(5000), [1])).toBe(1);
    expect(pickWorker(ctx(5000), [])).toBeUndefined();
  });

  it('reads --workers', () => {
    expect(parseWorkers(undefined)).toBe(1);
    expect(parseWorkers('4')).toBe(4);
    for (const bad of ['0', '65', 'x', '-1', '1.5']) expect(() => parseWorkers(bad)).toThrow(/--workers takes/);
  });
});
