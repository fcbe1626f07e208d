/**
 * createPeer pairs behind virtual NATs (@natkit/vnet), one natkit server (STUN on two addresses,
 * TURN, rendezvous): each pair gets the punch strategy its two NAT profiles call for, and ends
 * direct (or, for random <-> random, on the relay at once, saying why, without a probe).
 */
import { Identity } from '@natkit/identity';
import { isSameEndpoint, type Endpoint } from '@natkit/net';
import { birthdaySuccessProbability } from '@natkit/punch';
import { connectRendezvous, type Introduction, type NatProfile } from '@natkit/rendezvous';
import { natPresets, type NatOptions, type VirtualHost } from '@natkit/vnet';
import { describe, expect, it } from 'vitest';
import type { Peer, PeerConnection } from '../../src/index.js';
import { accepted } from './natkit-serve.js';
import { SERVER, startVnetSite, type VnetSite } from './vnet-site.js';
import { waitDirect } from './wait-direct.js';

/** What `diagnose` reports for a vnet NAT (the diagnosis itself is tested apart, below). */
function profileOf(nat: NatOptions): NatProfile {
  const allocation = nat.portAllocation ?? 'preserve';
  return {
    ipv4: {
      udp: true,
      mapping: nat.mapping ?? 'endpoint-independent',
      filtering: nat.filtering ?? 'address-and-port-dependent',
      allocation: { pattern: allocation === 'preserve' ? 'preserving' : allocation, step: allocation === 'sequential' ? (nat.delta ?? 1) : null },
      hairpinning: nat.hairpinning ?? false,
      mappingLifetimeSeconds: null,
    },
    ipv6: null,
  };
}

const sequential256: NatOptions = { ...natPresets.symmetricSequential, delta: 256 };


interface PairRun {
  readonly a: PeerConnection;
  readonly b: PeerConnection;
  readonly direct: boolean;
  readonly sentA: Endpoint[];
  readonly sentB: Endpoint[];
  readonly publicB: string;
  readonly publicA: string;
  readonly peerA: Peer;
  readonly hostA: VirtualHost;
}

/** Every address a side sent to: the server's two, or the other side's public address (bound by the rendezvous). */
function expectOnlyBoundDestinations(sent: readonly Endpoint[], peerPublic: string): void {
  const allowed = new Set([SERVER.address, '203.0.113.2', peerPublic]);
  expect(sent.filter((e) => !allowed.has(e.address))).toEqual([]);
}

/** A connects to B; waits up to `directMs` for both ends to be direct; checks data crosses. */
async function runPair(site: VnetSite, natA: NatOptions, natB: NatOptions, directMs: number, loss = 0): Promise<PairRun> {
  const b = await site.addPeer(natB, { nat: profileOf(natB), loss });
  const a = await site.addPeer(natA, { nat: profileOf(natA), loss });
  const incoming = accepted(b.peer);
  const ca = await a.peer.connect(b.peer.peerId, { signal: AbortSignal.timeout(10_000) });
  const cb = await incoming;
  const [da, db] = await Promise.all([waitDirect(ca, directMs), waitDirect(cb, directMs)]);
  const got = new Promise<string>((resolve) => cb.onMessage((m) => resolve(new TextDecoder().decode(m))));
  // A datagram may be lost (the lossy cases lose 19% over two links): sent again until one arrives, at most 20 times.
  let arrived = false;
  void got.then(() => (arrived = true));
  for (let i = 0; i < 20 && !arrived; i++) {
    ca.send(new TextEncoder().encode('over the path'));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await got).toBe('over the path');
  const publicOf = (r: typeof a): string => r.router.externalAddresses.find((x) => !x.includes(':')) ?? '';
  const run = { a: ca, b: cb, direct: da && db, sentA: a.sent, sentB: b.sent, publicA: publicOf(a), publicB: publicOf(b), peerA: a.peer, hostA: a.host };
  expectOnlyBoundDestinations(run.sentA, run.publicB);
  expectOnlyBoundDestinations(run.sentB, run.publicA);
  return run;
}

async function withSite<T>(seed: number, run: (site: VnetSite) => Promise<T>): Promise<T> {
  const site = await startVnetSite(seed);
  try {
    return await run(site);
  } finally {
    await site.close();
  }
}

describe('createPeer pairs through virtual NATs: the punch strategy per pair', () => {
  it('an EIM side against anything: simultaneous open, direct (full cone <-> symmetric random, port-restricted <-> port-restricted)', async () => {
    await withSite(1, async (site) => {
      const open = await runPair(site, natPresets.symmetric, natPresets.fullCone, 8_000);
      expect(open.a.stats()).toMatchObject({ strategy: 'simultaneous-open', path: 'direct' });
      expect(open.direct).toBe(true);
      const cones = await runPair(site, natPresets.portRestrictedCone, natPresets.portRestrictedCone, 8_000);
      expect(cones.b.stats()).toMatchObject({ strategy: 'simultaneous-open', path: 'direct' });
    });
  }, 60_000);

  it('sequential (step 256) <-> port-restricted cone and sequential <-> sequential: port prediction, direct', async () => {
    await withSite(2, async (site) => {
      const toCone = await runPair(site, sequential256, natPresets.portRestrictedCone, 8_000);
      expect(toCone.a.stats()).toMatchObject({ strategy: 'port-prediction', path: 'direct' });
      const both = await runPair(site, sequential256, natPresets.symmetricSequential, 8_000);
      expect(both.a.stats()).toMatchObject({ strategy: 'port-prediction', path: 'direct' });
      expect(both.b.stats()).toMatchObject({ strategy: 'port-prediction', path: 'direct' });
    });
  }, 60_000);

  it('a listener behind a sequential NAT serves one connection after another, each by port prediction', async () => {
    await withSite(11, async (site) => {
      const listener = await site.addPeer(sequential256, { nat: profileOf(sequential256) });
      for (const nat of [natPresets.portRestrictedCone, natPresets.symmetricSequential, natPresets.portRestrictedCone]) {
        const dialer = await site.addPeer(nat, { nat: profileOf(nat) });
        const incoming = accepted(listener.peer);
        const c = await dialer.peer.connect(listener.peer.peerId, { signal: AbortSignal.timeout(10_000) });
        await incoming;
        expect(await waitDirect(c, 8_000), `${JSON.stringify(nat)}: ${c.stats().strategyReason}`).toBe(true);
        expect(c.stats().strategy).toBe('port-prediction');
      }
    });
  }, 60_000);

  it('a long-lived initiator behind a sequential NAT whose counter moved (foreign allocations since it registered) still connects by port prediction', async () => {
    await withSite(12, async (site) => {
      const initiator = await site.addPeer(sequential256, { nat: profileOf(sequential256) });
      // Another host behind the same NAT opens 5 mappings: the initiator's announced base is 5 steps behind.
      const neighbour = site.vnet.createHost(initiator.router);
      for (let i = 0; i < 5; i++) {
        const s = await neighbour.network.bindUdp({ family: 4 });
        s.send(new Uint8Array([1]), { address: SERVER.address, port: 9 });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await s.close();
      }
      for (const nat of [natPresets.symmetricSequential, sequential256]) {
        const listener = await site.addPeer(nat, { nat: profileOf(nat) });
        const incoming = accepted(listener.peer);
        const c = await initiator.peer.connect(listener.peer.peerId, { signal: AbortSignal.timeout(10_000) });
        await incoming;
        expect(await waitDirect(c, 8_000), `${JSON.stringify(nat)}: ${c.stats().strategyReason}`).toBe(true);
        expect(c.stats().strategy).toBe('port-prediction');
      }
    });
  }, 60_000);

  it('port prediction still ends direct with 10% loss on both NATs\' links', async () => {
    await withSite(3, async (site) => {
      const lossy = await runPair(site, sequential256, natPresets.portRestrictedCone, 10_000, 0.1);
      expect(lossy.a.stats()).toMatchObject({ strategy: 'port-prediction', path: 'direct' });
    });
  }, 60_000);

  it('symmetric random <-> port-restricted cone: birthday paradox, direct in most seeded trials, the win on an extra socket used as the route', async () => {
    const trials = 6;
    const runs = await Promise.all(Array.from({ length: trials }, (_, i) => withSite(100 + i, async (site) => {
      const r = await runPair(site, natPresets.symmetric, natPresets.portRestrictedCone, 20_000);
      const extraSocket = r.a.path.kind === 'direct' && r.a.path.local.port !== r.peerA.addresses.local.port;
      // The connection keeps that socket (its keepalives use it) and closes it when it closes.
      const open = r.hostA.openSockets;
      r.a.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closedWithConnection = open - r.hostA.openSockets;
      if (extraSocket) expect(closedWithConnection).toBe(1);
      return { direct: r.direct, strategy: r.a.stats().strategy, reason: r.a.stats().strategyReason, extraSocket, probesA: r.sentA.filter((e) => e.address === r.publicB).length };
    })));
    const direct = runs.filter((r) => r.direct).length;
    // The planner sizes the attempt for 99%: 257 mappings x 1,144 probes over 64,512 ports.
    const p = birthdaySuccessProbability(257, 1144, 64512);
    expect(p).toBeGreaterThan(0.98);
    for (const r of runs) expect(r.strategy).toBe('birthday');
    expect(runs[0]!.reason).toMatch(/P\(direct\) = 0\.99/);
    expect(direct, JSON.stringify(runs)).toBeGreaterThanOrEqual(trials - 2);
    // The random side (A) wins on one of its 256 extra sockets (its main one is 1 of 257): its
    // direct path leaves from that socket, kept open by the connection.
    expect(runs.filter((r) => r.direct && r.extraSocket).length, JSON.stringify(runs)).toBeGreaterThanOrEqual(direct - 1);
  }, 90_000);

  it('one birthday attempt at a time per peer: a random-NAT peer connecting to two cones never holds two sets of 256 sockets', async () => {
    await withSite(10, async (site) => {
      const p1 = await site.addPeer(natPresets.portRestrictedCone, { nat: profileOf(natPresets.portRestrictedCone) });
      const p2 = await site.addPeer(natPresets.portRestrictedCone, { nat: profileOf(natPresets.portRestrictedCone) });
      const r = await site.addPeer(natPresets.symmetric, { nat: profileOf(natPresets.symmetric) });
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, r.host.openSockets)), 10);
      try {
        const [c1, c2] = await Promise.all([p1, p2].map((p) => r.peer.connect(p.peer.peerId, { signal: AbortSignal.timeout(10_000) })));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect([c1!.stats().strategy, c2!.stats().strategy]).toEqual(['birthday', 'birthday']);
      } finally {
        clearInterval(sampler);
      }
      expect(peak).toBeGreaterThan(200); // one attempt did open its sockets
      expect(peak).toBeLessThanOrEqual(1 + 256 + 4);
    });
  }, 30_000);

  it('symmetric random <-> symmetric random: the relay at once, with the reason, and no probe towards the peer', async () => {
    await withSite(4, async (site) => {
      const r = await runPair(site, natPresets.symmetric, natPresets.symmetric, 3_000);
      expect(r.direct).toBe(false);
      expect(r.a.stats()).toMatchObject({ strategy: 'relay', path: 'relay' });
      expect(r.a.stats().strategyReason).toMatch(/random ports/);
      expect(r.sentA.filter((e) => e.address === r.publicB)).toEqual([]);
      expect(r.sentB.filter((e) => e.address === r.publicA)).toEqual([]);
    });
  }, 60_000);

  it('over IPv6 (a stateful firewall, no NAT66) two peers behind symmetric random IPv4 NATs punch by simultaneous open, measured by diagnose', async () => {
    await withSite(9, async (site) => {
      const b = await site.addPeer(natPresets.symmetric, { ipv6: true });
      const a = await site.addPeer(natPresets.symmetric, { ipv6: true });
      expect(b.peer.nat.nat.ipv6).toMatchObject({ mapping: 'endpoint-independent' });
      const incoming = accepted(b.peer);
      const ca = await a.peer.connect(b.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      await incoming;
      expect(await waitDirect(ca, 8_000)).toBe(true);
      expect(ca.stats().strategy).toBe('simultaneous-open');
      expect(ca.path.kind === 'direct' && ca.path.remote.address.includes(':')).toBe(true);
    });
  }, 30_000);

  it('two peers behind one NAT: the same-NAT plan over host candidates', async () => {
    await withSite(5, async (site) => {
      const b = await site.addPeer(natPresets.portRestrictedCone, { nat: profileOf(natPresets.portRestrictedCone) });
      const a = await site.addPeer(b.router, { nat: profileOf(natPresets.portRestrictedCone) });
      const incoming = accepted(b.peer);
      const ca = await a.peer.connect(b.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      await incoming;
      expect(await waitDirect(ca, 8_000)).toBe(true);
      expect(ca.stats().strategy).toBe('same-nat');
      expect(ca.path.kind === 'direct' && isSameEndpoint(ca.path.remote, b.peer.addresses.local)).toBe(true);
    });
  }, 60_000);
});

describe('createPeer: NAT profile and candidates at registration', () => {
  it('refreshNat() measures again and announces the profile; the peer stays reachable', async () => {
    await withSite(8, async (site) => {
      const b = await site.addPeer(natPresets.portRestrictedCone);
      const before = b.peer.nat;
      const after = await b.peer.refreshNat();
      expect(after.nat.ipv4).toMatchObject({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
      expect(after.srflx).toEqual(before.srflx);
      const a = await site.addPeer(natPresets.portRestrictedCone, { nat: 'skip' });
      const incoming = accepted(b.peer);
      const ca = await a.peer.connect(b.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      await incoming;
      // A's profile is unknown ('skip'): still a cheap simultaneous open, which works here.
      expect(ca.stats()).toMatchObject({ strategy: 'simultaneous-open' });
      expect(ca.stats().strategyReason).toMatch(/unknown/);
      expect(await waitDirect(ca, 8_000)).toBe(true);
    });
  }, 30_000);

  it('refreshNat() on a sequential NAT announces the latest allocation, not its socket\'s old mapping', async () => {
    await withSite(12, async (site) => {
      const { peer } = await site.addPeer(sequential256);
      const first = peer.nat.srflx;
      const again = await peer.refreshNat();
      expect(first).not.toBeNull();
      expect(again.srflx?.address).toBe(first?.address);
      // The diagnosis' sockets and the fresh socket took new ports since: the base moved on (the
      // socket's own mapping to the server, still alive, would give the first port again).
      expect(again.srflx?.port).not.toBe(first?.port);
    });
  }, 30_000);

  it('diagnoses its NAT against the server (two addresses) and registers the profile with host and srflx candidates', async () => {
    await withSite(6, async (site) => {
      const { peer } = await site.addPeer(sequential256);
      const p = peer.nat.nat.ipv4;
      expect(p).toMatchObject({ udp: true, mapping: 'address-and-port-dependent', allocation: { pattern: 'sequential', step: 256 } });
      expect(peer.nat.srflx).not.toBeNull();
      expect(peer.nat.diagnosisMs).toBeGreaterThanOrEqual(0);
      expect(peer.readyMs).toBeGreaterThanOrEqual(peer.nat.diagnosisMs ?? 0);
    });
  }, 30_000);

  it('a peer asking for another the moment it is registered gets its host and srflx candidates and NAT profile (no update race)', async () => {
    await withSite(7, async (site) => {
      const asker = await site.addPeer(natPresets.portRestrictedCone, { nat: profileOf(natPresets.portRestrictedCone) });
      const identity = Identity.generate();
      const target = site.addPeer(natPresets.fullCone, { identity, nat: profileOf(natPresets.fullCone) });
      // Ask as fast as possible, from the asker's site: every attempt until the target is registered
      // is refused (unknown-peer); the first that succeeds must already carry its candidates.
      const client = await connectRendezvous({ url: await site.rendezvousUrlFor(asker.router), identity: Identity.generate(), nat: profileOf(natPresets.portRestrictedCone), candidates: [] });
      try {
        let intro: Introduction | null = null;
        for (let i = 0; i < 2000 && intro === null; i++) {
          intro = await client.connect(identity.peerId, { timeoutMs: 2_000 }).catch(() => null);
          if (intro === null) await new Promise((r) => setTimeout(r, 2));
        }
        const found: Introduction | null = intro;
        if (found === null) throw new Error('never introduced');
        expect(found.peer.candidates.map((c) => c.type)).toEqual(expect.arrayContaining(['host', 'srflx']));
        expect(found.peer.nat.ipv4).not.toBeNull();
      } finally {
        await client.close();
        await target;
      }
    });
  }, 30_000);
});
