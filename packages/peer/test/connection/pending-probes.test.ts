import { describe, expect, it } from 'vitest';
import { PendingProbes } from '../../src/connection/pending-probes.js';
import type { Route } from '../../src/connection/path.js';

const route = (port: number): Route => ({ via: 'socket', to: { address: '192.0.2.1', port } });

describe('pending probes of a connection', () => {
  it('an answer matches its probe once: the route and send time come back, a repeat or unknown nonce finds nothing', () => {
    const probes = new PendingProbes();
    const a = probes.add(route(1), 100);
    const b = probes.add(route(2), 200);
    expect(a).not.toBe(b);
    expect(probes.take(b)).toEqual({ route: route(2), sentAt: 200 });
    expect(probes.take(b)).toBeUndefined();
    expect(probes.take(a)?.sentAt).toBe(100);
    probes.add(route(3), 300);
    probes.clear();
    expect(probes.take(a)).toBeUndefined();
  });

  it('remembers at most 256: beyond that the oldest probe is forgotten, the newer ones still answer', () => {
    const probes = new PendingProbes();
    const nonces = Array.from({ length: 257 }, (_, i) => probes.add(route(i + 1), i));
    expect(probes.take(nonces[0] as number)).toBeUndefined();
    expect(probes.take(nonces[1] as number)?.sentAt).toBe(1);
    expect(probes.take(nonces[256] as number)?.sentAt).toBe(256);
  });
});
