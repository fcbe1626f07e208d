import { natPresets, type DropReason } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import type { ConnectionClosed } from '../../src/index.js';
import { connectedPair } from './vnet-connection-pair.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('connection lifecycle over the virtual network (manual clock)', () => {
  it('a peer that vanished: the connection closes with ERR_PEER_CONNECTION_LOST within the idle bound, then sends nothing more', async () => {
    const { clock, a, b } = await connectedPair({ natA: natPresets.portRestrictedCone, natB: natPresets.portRestrictedCone });
    await clock.advance(1000);
    expect(a.connection.path.kind).toBe('direct');
    expect(b.connection.path.kind).toBe('direct');
    let closed: (ConnectionClosed & { at: number }) | null = null;
    a.connection.on('close', (c) => (closed = { ...c, at: clock.now() }));
    await clock.advance(20_000);
    expect(closed).toBeNull(); // alive peer: keepalives answered, nothing expires
    const goneAt = clock.now();
    b.dead = true;
    await clock.advance(60_000);
    const c = closed as (ConnectionClosed & { at: number }) | null;
    expect(c).not.toBeNull();
    expect(c!.reason).toBe('timeout');
    expect(c!.error?.code).toBe('ERR_PEER_CONNECTION_LOST');
    expect(c!.error?.message).toMatch(/^no answer from nk1\S+ for 3\d(\.\d)? s on any path .*connect again/);
    // the last answer came at most one check (5 s) before the peer vanished; expiry 30 s after it, seen at the next check
    expect(c!.at - goneAt).toBeGreaterThanOrEqual(25_000);
    expect(c!.at - goneAt).toBeLessThanOrEqual(35_000);
    expect(a.connection.closed).toBe(true);
    expect(a.connection.closeReason).toEqual({ reason: 'timeout', error: c!.error });
    await clock.advance(10 * 60_000);
    expect(a.sent.filter((s) => s.at > c!.at)).toEqual([]);
  });

  it('close() tells the peer: its connection closes with reason remote, ours with local, neither carries an error', async () => {
    const { clock, a, b } = await connectedPair({ natA: natPresets.portRestrictedCone, natB: natPresets.portRestrictedCone });
    await clock.advance(1000);
    const reasons: ConnectionClosed[] = [];
    a.connection.on('close', (c) => reasons.push(c));
    b.connection.on('close', (c) => reasons.push(c));
    a.connection.close();
    a.connection.close(); // idempotent
    await clock.advance(100);
    expect(reasons).toEqual([{ reason: 'local', error: null }, { reason: 'remote', error: null }]);
    const closedAt = clock.now();
    await clock.advance(120_000);
    expect([...a.sent, ...b.sent].filter((s) => s.at > closedAt)).toEqual([]);
  });

  it('a direct path that stops answering goes back to the relay; re-probes back off (5, 10, 20, 30, 30 s), and the path returns when the network heals', async () => {
    const timing = { directTimeoutMs: 30_000, idleTimeoutMs: 600_000, reprobeMs: 5_000, maxReprobeMs: 30_000 };
    const { clock, a, b } = await connectedPair({ natA: natPresets.fullCone, natB: natPresets.fullCone, timingA: timing, timingB: timing });
    await clock.advance(1000);
    expect(a.connection.path.kind).toBe('direct');
    const paths: { at: number; kind: string }[] = [];
    a.connection.on('path', (p) => paths.push({ at: clock.now(), kind: p.kind }));
    const cutAt = clock.now();
    a.cut = true;
    b.cut = true;
    const startsBefore = a.finderStarts.length;
    await clock.advance(130_000);
    expect(paths[0]?.kind).toBe('relay');
    const lostAt = paths[0]!.at;
    expect(lostAt - cutAt).toBeGreaterThanOrEqual(25_000);
    expect(lostAt - cutAt).toBeLessThanOrEqual(35_000);
    const starts = a.finderStarts.slice(startsBefore);
    const gaps = [starts[0]! - lostAt, ...starts.slice(1).map((t, i) => t - starts[i]!)];
    expect(gaps.slice(0, 5)).toEqual([5_000, 10_000, 20_000, 30_000, 30_000]);
    expect(a.connection.closed).toBe(false);
    a.cut = false;
    b.cut = false;
    await clock.advance(35_000);
    expect(a.connection.path.kind).toBe('direct');
    expect(paths.at(-1)?.kind).toBe('direct');
    // After a success the backoff starts over: the next loss re-probes 5 s after it.
    a.cut = true;
    b.cut = true;
    const again = a.finderStarts.length;
    await clock.advance(45_000);
    const lostAgain = paths.at(-1)!;
    expect(lostAgain.kind).toBe('relay');
    expect(a.finderStarts[again]! - lostAgain.at).toBe(5_000);
  });

  it('NAT rebinding: the peer shows up from a new public port; an authenticated packet from there is the signal, the connection moves, data flows both ways', async () => {
    // The symmetric side's public port is random: its first probes (to the full cone) make the way.
    const { clock, a, b } = await connectedPair({ natA: natPresets.fullCone, natB: natPresets.symmetric, seed: 5 });
    await clock.advance(2000);
    expect(a.connection.path.kind).toBe('direct');
    const before = a.connection.path.kind === 'direct' ? a.connection.path.remote : null;
    const moves: number[] = [];
    a.connection.on('path', (p) => p.kind === 'direct' && moves.push(p.remote.port));
    const atA: string[] = [];
    const atB: string[] = [];
    a.connection.onMessage((m) => atA.push(new TextDecoder().decode(m)));
    b.connection.onMessage((m) => atB.push(new TextDecoder().decode(m)));
    await b.rebind();
    b.connection.send(text('from the new mapping'));
    await clock.advance(50);
    expect(atA).toEqual(['from the new mapping']); // authenticated, delivered even before the move
    await clock.advance(2000);
    expect(moves).toHaveLength(1);
    expect(moves[0]).not.toBe(before?.port);
    a.connection.send(text('to the new mapping'));
    await clock.advance(50);
    expect(atB).toEqual(['to the new mapping']);
    await clock.advance(60_000);
    expect(a.connection.path.kind).toBe('direct');
    expect(b.connection.closed).toBe(false);
  });

  it('keepalives from the measured mapping lifetime keep an 8 s NAT mapping open; the 25 s default would let it expire', async () => {
    const lifetimeNat = { ...natPresets.portRestrictedCone, mappingLifetimeMs: 8_000, inboundRefresh: false };
    // Consent bounds far away: only the keepalive sets the probe interval here.
    const slowConsent = { directTimeoutMs: 600_000, idleTimeoutMs: 600_000 };
    const run = async (mappingLifetimeSeconds: number | null): Promise<{ drops: number; path: string }> => {
      const timing = { ...slowConsent, mappingLifetimeSeconds };
      const { clock, vnet, a } = await connectedPair({ natA: lifetimeNat, natB: lifetimeNat, timingA: timing, timingB: timing });
      await clock.advance(3000);
      expect(a.connection.path.kind).toBe('direct');
      const counted: DropReason[] = ['expired', 'no-mapping', 'filtered'];
      let drops = 0;
      vnet.onDrop((e) => {
        if (counted.includes(e.reason)) drops++;
      });
      await clock.advance(120_000);
      return { drops, path: a.connection.path.kind };
    };
    expect(await run(8)).toEqual({ drops: 0, path: 'direct' });
    expect((await run(null)).drops).toBeGreaterThan(0);
  });
});
