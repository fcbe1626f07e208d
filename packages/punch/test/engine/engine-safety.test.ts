/**
 * What the engine refuses and how it stops: a peer without the punch token never gets a direct
 * path, an abort mid-birthday closes all 256 extra sockets, a relay plan resolves at once, and
 * nothing ever goes to an address not bound to the peer.
 */
import { describe, expect, it } from 'vitest';
import { natPresets } from '@natkit/vnet';
import { runPair } from './vnet-pair.js';

describe('punch engine safety', () => {
  it('a peer with another punch token gets no direct path: every datagram is dropped unopened', async () => {
    const r = await runPair({ seed: 5, natA: natPresets.fullCone, natB: natPresets.fullCone, tokenB: new Uint8Array(32).fill(0xaa) });
    expect(r.planA.strategy).toBe('simultaneous-open');
    expect(r.outcome).toBe('relay');
    for (const result of [r.resultA, r.resultB]) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toBe('timeout');
      expect(result.stats.received).toBe(0);
      expect(result.stats.dropped).toBeGreaterThan(0);
    }
    expect(r.openSocketsAfter).toBe(0);
  });

  it('an abort mid-birthday resolves both sides as aborted and closes all 256 extra sockets', async () => {
    const r = await runPair({ seed: 6, natA: natPresets.portRestrictedCone, natB: natPresets.symmetric, tokenB: new Uint8Array(32).fill(1), abortAfterMs: 1_500 });
    expect(r.planB.strategy).toBe('birthday');
    expect(r.resultB.ok).toBe(false);
    if (!r.resultB.ok) {
      expect(r.resultB.reason).toBe('aborted');
      expect(r.resultB.stats.extraSockets).toBe(256);
    }
    expect(r.resultA.ok ? 'direct' : r.resultA.reason).toBe('aborted');
    expect(r.openSocketsAfter).toBe(0);
    // Probes went only to the verified address of the peer, paced: 1.5 s at 100 pps.
    expect(new Set(r.sentA.map((t) => t.address))).toEqual(new Set([r.planA.send.targets[0]!.address]));
    expect(r.sentA.length).toBeLessThanOrEqual(152);
  });

  it('a relay plan resolves at once with the planner reason and sends nothing', async () => {
    const r = await runPair({ seed: 7, natA: natPresets.symmetric, natB: natPresets.symmetric });
    expect(r.resultA.ok).toBe(false);
    if (!r.resultA.ok) {
      expect(r.resultA.reason).toBe('no-strategy');
      expect(r.resultA.detail).toMatch(/random ports/);
    }
    expect(r.sentA).toEqual([]);
    expect(r.sentB).toEqual([]);
  });

  it('two hosts behind one NAT connect over their host candidates', async () => {
    const r = await runPair({ seed: 8, natA: natPresets.symmetric, natB: natPresets.symmetric, sameNat: true, loss: 0.05, latencyMs: 10 });
    expect(r.planA.strategy).toBe('same-nat');
    expect(r.outcome).toBe('direct');
    if (r.resultA.ok) expect(r.resultA.remote.address).toMatch(/^10\./);
  });
});
