/**
 * A running connection on the relay path outlives a re-allocation: Bob's NAT rebinds (his socket
 * moves to a new port), so the TURN server knows his allocation only by the old 5-tuple and
 * Alice's datagrams to his old relayed address go nowhere. Bob's keepalive sees the new mapping,
 * he allocates again, and both ends of the connection learn the new relayed address (an
 * authenticated control message) and keep exchanging datagrams on the same connection, without
 * a reconnect. Virtual network, a natkit server (STUN, TURN, rendezvous).
 */
import { natPresets, type NatOptions } from '@natkit/vnet';
import type { Endpoint, Network } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import type { PeerConnection } from '../../src/index.js';
import { rebindableNetwork } from './rebindable-network.js';
import { SERVER, startVnetSite } from './vnet-site.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends a numbered datagram every 50 ms; records when each number from the peer arrived. */
function chatter(c: PeerConnection): { stop: () => void; got: Map<number, number>; sentAt: Map<number, number> } {
  const got = new Map<number, number>();
  const sentAt = new Map<number, number>();
  c.onMessage((m) => got.set(new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0), Date.now()));
  let n = 0;
  const timer = setInterval(() => {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, n);
    sentAt.set(n++, Date.now());
    c.send(d);
  }, 50);
  return { stop: () => clearInterval(timer), got, sentAt };
}

/** The first datagram sent after `t` that arrived, and how long after `t` it arrived (ms), or null. */
function resumedAfter(t: number, sent: Map<number, number>, got: Map<number, number>): number | null {
  for (const [n, at] of sent) if (at > t && got.has(n)) return got.get(n)! - t;
  return null;
}

interface Moved {
  readonly a: PeerConnection;
  readonly b: PeerConnection;
  readonly before: Endpoint | null;
  readonly after: Endpoint | null;
}

/**
 * Alice connects to Bob (relay only), both send a datagram every 50 ms, Bob's NAT rebinds; the
 * datagrams of both must flow again within 8 s, on the same connections, and keep flowing.
 */
async function rebindMidConnection(seed: number, natA: NatOptions, aliceRelay: 'udp' | false, both = false, keepaliveMs: number | null = 300): Promise<Moved> {
  const site = await startVnetSite(seed);
  try {
    const rebinds: (() => Promise<void>)[] = [];
    const wrap = (n: Network): Network => {
      const r = rebindableNetwork(n);
      rebinds.push(r.rebind);
      return r.network;
    };
    // keepaliveMs null: the defaults (mapping lifetime unknown: relay keepalives every 25 s).
    const timing = keepaliveMs === null ? {} : { keepaliveMs };
    const bob = await site.addPeer(natPresets.portRestrictedCone, { relay: 'udp', nat: 'skip', directPath: false, ...timing, wrap });
    const alice = await site.addPeer(natA, { relay: aliceRelay, nat: 'skip', directPath: false, ...timing, ...(both ? { wrap } : {}) });
    const rebind = (): Promise<unknown> => Promise.all(rebinds.map((r) => r()));
    const incoming = new Promise<PeerConnection>((ok) => bob.peer.onConnection(ok));
    const a = await alice.peer.connect(bob.peer.peerId, { signal: AbortSignal.timeout(10_000) });
    const b = await incoming;
    expect(a.path.kind).toBe('relay');
    const closes: string[] = [];
    a.on('close', (c) => closes.push(`a ${c.reason}`));
    b.on('close', (c) => closes.push(`b ${c.reason}`));
    const fromA = chatter(a);
    const fromB = chatter(b);
    try {
      await sleep(500);
      expect(fromA.got.size).toBeGreaterThan(3); // B -> A flows
      expect(fromB.got.size).toBeGreaterThan(3); // A -> B flows
      const before = bob.peer.addresses.relayed;
      await rebind();
      const movedAt = Date.now();
      // Bob's relay keepalive (300 ms), or his stalled connection's check of the allocation (a
      // few seconds of silence), sees the rebinding; he allocates again, both ends follow.
      const resumed = (): [number | null, number | null] => [resumedAfter(movedAt + 1500, fromA.sentAt, fromB.got), resumedAfter(movedAt + 1500, fromB.sentAt, fromA.got)];
      for (let i = 0; i < 80 && resumed().includes(null); i++) await sleep(100);
      const [aToB, bToA] = resumed();
      expect(aToB, 'A -> B resumed within 8 s of the rebinding').not.toBeNull();
      expect(bToA, 'B -> A resumed within 8 s of the rebinding').not.toBeNull();
      // And it keeps flowing: datagrams of the last second arrive.
      const lastSecond = Date.now() - 1000;
      await sleep(600);
      expect(resumedAfter(lastSecond, fromA.sentAt, fromB.got)).not.toBeNull();
      expect(resumedAfter(lastSecond, fromB.sentAt, fromA.got)).not.toBeNull();
      expect(closes).toEqual([]);
      expect([a.path.kind, b.path.kind]).toEqual(['relay', 'relay']);
      return { a, b, before, after: bob.peer.addresses.relayed };
    } finally {
      fromA.stop();
      fromB.stop();
    }
  } finally {
    await site.close();
  }
}

/** A STUN Binding request (RFC 8489 §5: type 0x0001) to the natkit server. */
function isBindingToServer(d: Uint8Array, to: Endpoint): boolean {
  return to.address === SERVER.address && to.port === SERVER.port && d.length >= 20 && d[0] === 0x00 && d[1] === 0x01;
}

describe('checking the allocation only when the relayed connection stalls', () => {
  it('default timing, datagrams flowing both ways for 7 s through our allocation: not one extra Binding to the server', async () => {
    const site = await startVnetSite(26);
    try {
      let bindings = 0;
      const dropSend = (d: Uint8Array, to: Endpoint): boolean => {
        if (isBindingToServer(d, to)) bindings++;
        return false;
      };
      const bob = await site.addPeer(natPresets.portRestrictedCone, { relay: 'udp', nat: 'skip', directPath: false, dropSend });
      const alice = await site.addPeer(natPresets.restrictedCone, { relay: false, nat: 'skip', directPath: false });
      const incoming = new Promise<PeerConnection>((ok) => bob.peer.onConnection(ok));
      const a = await alice.peer.connect(bob.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      expect(b.path).toMatchObject({ kind: 'relay', relay: bob.peer.addresses.relayed }); // through Bob's allocation
      const fromA = chatter(a);
      const fromB = chatter(b);
      const before = bindings;
      await sleep(7_000); // past a consent interval (5 s) and the 2.5 s check threshold
      fromA.stop();
      fromB.stop();
      expect(fromA.got.size).toBeGreaterThan(50);
      expect(fromB.got.size).toBeGreaterThan(50);
      expect(bindings - before).toBe(0);
    } finally {
      await site.close();
    }
  }, 30_000);
});

describe('a running relayed connection across a re-allocation', () => {
  it('both peers with a relay, port-restricted cones: the datagrams flow again both ways (same connection, no reconnect)', async () => {
    const r = await rebindMidConnection(21, natPresets.portRestrictedCone, 'udp');
    expect(r.after).not.toBeNull();
    expect(r.after).not.toEqual(r.before);
  }, 40_000);

  it('both NATs rebind at once (both relays move): the rendezvous passes each new relayed address, the datagrams flow again', async () => {
    const r = await rebindMidConnection(23, natPresets.portRestrictedCone, 'udp', true);
    expect(r.after).not.toEqual(r.before);
  }, 40_000);

  it('default timing (relay keepalive 25 s): the stalled connection checks its allocation at once, the datagrams flow again within 8 s', async () => {
    const r = await rebindMidConnection(24, natPresets.portRestrictedCone, 'udp', false, null);
    expect(r.after).not.toBeNull();
    expect(r.after).not.toEqual(r.before);
  }, 40_000);

  it('default timing, a peer without a relay of its own: the datagrams flow again within 8 s', async () => {
    const r = await rebindMidConnection(25, natPresets.restrictedCone, false, false, null);
    expect(r.after).not.toEqual(r.before);
    expect(r.a.path).toMatchObject({ kind: 'relay', relay: r.after });
  }, 40_000);

  it('a peer without a relay of its own (restricted cone) learns the new relayed address and sends there', async () => {
    const r = await rebindMidConnection(22, natPresets.restrictedCone, false);
    expect(r.after).not.toBeNull();
    expect(r.after).not.toEqual(r.before);
    // Alice's data goes to Bob's new relayed address, and her connection knows it as a relay.
    expect(r.a.path).toMatchObject({ kind: 'relay', relay: r.after });
  }, 40_000);
});
