/**
 * The rendezvous hands out short-lived relay credentials (TURN REST: the expiry is part of the
 * user name, and the relay refuses every request signed with them once it has passed, including
 * the permissions a new peer needs). A long-lived peer asks the rendezvous for fresh ones before
 * they expire and moves its allocation to them, so its running connections keep flowing and
 * peers that come later still reach it through its relay. Virtual network, a natkit server
 * (STUN, TURN, rendezvous) minting 5-second credentials.
 */
import { natPresets } from '@natkit/vnet';
import { expect, it } from 'vitest';
import type { PeerConnection } from '../../src/index.js';
import { startVnetSite } from './vnet-site.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TTL_S = 5;

function received(c: PeerConnection): string[] {
  const got: string[] = [];
  c.onMessage((m) => got.push(new TextDecoder().decode(m)));
  return got;
}

it('a peer keeps its relay working past the expiry of its first credentials: running connections flow, a later peer connects through it', async () => {
  const site = await startVnetSite(31, { relayTtlSeconds: TTL_S });
  try {
    const relayOnly = { relay: 'udp', nat: 'skip', directPath: false, keepaliveMs: 300, connectTimeoutMs: 5_000 } as const;
    const bob = await site.addPeer(natPresets.portRestrictedCone, relayOnly);
    const alice = await site.addPeer(natPresets.portRestrictedCone, relayOnly);
    const incoming = new Promise<PeerConnection>((ok) => bob.peer.onConnection(ok));
    const a = await alice.peer.connect(bob.peer.peerId, { signal: AbortSignal.timeout(10_000) });
    const b = await incoming;
    const atB = received(b);
    const atA = received(a);
    const closes: string[] = [];
    a.on('close', (c) => closes.push(`a ${c.reason}`));
    b.on('close', (c) => closes.push(`b ${c.reason}`));
    const startedAt = Date.now();
    const firstRelayed = bob.peer.addresses.relayed;
    expect(firstRelayed).not.toBeNull();
    let n = 0;
    const timer = setInterval(() => {
      a.send(new TextEncoder().encode(`a${n}`));
      b.send(new TextEncoder().encode(`b${n}`));
      n++;
    }, 50);
    try {
      // More than two lifetimes of the first credentials.
      await sleep(2.2 * TTL_S * 1000);
      const late = n - 10; // sent in the last half second
      await sleep(500);
      expect(atB, 'A -> B still flows').toContain(`a${late}`);
      expect(atA, 'B -> A still flows').toContain(`b${late}`);
      expect(closes).toEqual([]);
      expect(bob.peer.relayProblem).toBeNull();
      // The allocation moved to fresh credentials (a new relayed address), losing next to nothing.
      expect(bob.peer.addresses.relayed).not.toEqual(firstRelayed);
      expect(atB.length).toBeGreaterThan(0.9 * n);
      expect(atA.length).toBeGreaterThan(0.9 * n);
      expect(Date.now() - startedAt).toBeGreaterThan(TTL_S * 1000 * 2);
      // A peer that comes now needs a new permission on Bob's relay: signed with live credentials.
      const carol = await site.addPeer(natPresets.portRestrictedCone, relayOnly);
      const toCarol = new Promise<PeerConnection>((ok) => bob.peer.onConnection((c) => c.remotePeerId === carol.peer.peerId && ok(c)));
      const c = await carol.peer.connect(bob.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      const atCarol = received(c);
      const bc = await toCarol;
      bc.send(new TextEncoder().encode('hello carol'));
      for (let i = 0; i < 40 && !atCarol.includes('hello carol'); i++) await sleep(50);
      expect(atCarol).toContain('hello carol');
    } finally {
      clearInterval(timer);
    }
  } finally {
    await site.close();
  }
}, 40_000);
