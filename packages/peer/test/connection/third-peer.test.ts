/**
 * Issue 7, security proof with the real library over real sockets: a real `natkit serve` on
 * 127.0.0.1, Alice and Bob connected through it (relay first, then direct), and Mallory, a third
 * peer with her own key registered at the same rendezvous. Everything Alice's and Bob's sockets
 * send is captured (as an on-path observer would); Mallory replays and forges session packets to
 * both peers' direct and relayed addresses. Nothing she sends reaches an application, the
 * connections keep working on their real paths, she cannot open what she captured, and the
 * rendezvous refuses her when she registers with Alice's peer id.
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork, type Endpoint, type Network } from '@natkit/net';
import { connectRendezvous, RendezvousRefusedError } from '@natkit/rendezvous';
import { describe, expect, it } from 'vitest';
import { createPeer, HandshakeResponder, PacketType, type Peer, type PeerConnection } from '../../src/index.js';
import { establish } from '../session/pair.js';
import { accepted, useNatkitServe } from './natkit-serve.js';

const network = createNodeNetwork();
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sent {
  readonly data: Uint8Array;
  readonly to: Endpoint;
}

/** The real Node network; every datagram its sockets send is copied into `log`, and the source port of every arrival into `heard`. */
function tapped(log: Sent[], heard: number[]): Network {
  return {
    ...network,
    localAddressFor: (r) => network.localAddressFor(r),
    bindUdp: async (o) => {
      const s = await network.bindUdp(o);
      s.onMessage((_d, from) => heard.push(from.port));
      return { ...s, local: s.local, family: s.family, send: (d, to) => { log.push({ data: Uint8Array.from(d), to: { ...to } }); s.send(d, to); }, onMessage: (h) => s.onMessage(h), onError: (h) => s.onError(h), close: () => s.close(), [Symbol.asyncDispose]: () => s.close() };
    },
  };
}

function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return new Promise((ok, fail) => {
    const started = Date.now();
    const poll = (): void => {
      if (check()) return ok();
      if (Date.now() - started > timeoutMs) return fail(new Error(`${what}: not within ${timeoutMs} ms`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

const serve = useNatkitServe();

describe('a third peer against a live connection (real natkit serve, real sockets)', () => {
  it('can neither inject (replayed, tampered or own-key packets, direct or through the relay) nor read; the connection keeps its paths', async () => {
    const server = serve.server;
    const [aliceId, bobId, malloryId] = [0, 1, 2].map(() => Identity.fromSeed(randomBytes(32))) as [Identity, Identity, Identity];
    const wire: Sent[] = [];
    const heard: number[] = [];
    const peers: Peer[] = [];
    const evil = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    try {
      const alice = await createPeer({ server, identity: aliceId }, { network: tapped(wire, heard) });
      peers.push(alice);
      const bob = await createPeer({ server, identity: bobId }, { network: tapped(wire, heard) });
      peers.push(bob);
      const mallory = await createPeer({ server, identity: malloryId }, { network });
      peers.push(mallory);
      const atBob: PeerConnection[] = [];
      const atAlice: PeerConnection[] = [];
      bob.onConnection((c) => atBob.push(c));
      alice.onConnection((c) => atAlice.push(c));

      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      await waitFor(() => atBob.length === 1, 'Bob accepts');
      const b = atBob[0]!;
      const gotB: string[] = [];
      const gotA: string[] = [];
      b.onMessage((m) => gotB.push(text(m)));
      a.onMessage((m) => gotA.push(text(m)));
      const secret = `NKSECRET${randomBytes(6).toString('hex')}`;
      for (let i = 0; i < 10; i++) a.send(bytes(`${secret} a->b relay-era ${i}`)); // the first path is the relay
      await waitFor(() => a.path.kind === 'direct' && b.path.kind === 'direct', 'direct path');
      for (let i = 0; i < 10; i++) {
        a.send(bytes(`${secret} a->b ${i}`));
        b.send(bytes(`${secret} b->a ${i}`));
      }
      await waitFor(() => gotB.length === 20 && gotA.length === 10, 'the 30 genuine messages');
      const aliceRoute = a.path.kind === 'direct' ? a.path.remote : null;
      const bobRoute = b.path.kind === 'direct' ? b.path.remote : null;
      expect(aliceRoute).toEqual(bob.addresses.local);
      expect(bobRoute).toEqual(alice.addresses.local);

      // Mallory is a regular member of the rendezvous: her own key, her own connection to Bob.
      const m = await mallory.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      await waitFor(() => atBob.length === 2, 'Bob accepts Mallory');
      expect(atBob.map((c) => c.remotePeerId)).toEqual([alice.peerId, mallory.peerId]);
      m.send(bytes('hello from mallory'));

      // What she captured (every session packet Alice and Bob sent), and what she makes of it.
      const captured = wire.filter((s) => s.data[0] === PacketType.Transport || s.data[0] === PacketType.HandshakeInit);
      const transport = captured.filter((s) => s.data[0] === PacketType.Transport);
      expect(transport.length).toBeGreaterThanOrEqual(30);
      const init = captured.find((s) => s.data[0] === PacketType.HandshakeInit)!;
      expect(init).toBeDefined();
      for (const s of wire) expect(Buffer.from(s.data).includes(secret)).toBe(false);
      // Alice's handshake was for Bob's key: Mallory's own key cannot open it (nor derive its keys).
      expect(new HandshakeResponder({ identity: malloryId, allocateId: () => 1 }).handleInit(init.data, 0)).toEqual({ ok: false, reason: 'auth' });

      const forged: Uint8Array[] = [];
      const own = establish({ alice: malloryId, bob: Identity.fromSeed(randomBytes(32)) });
      for (const s of transport) {
        forged.push(s.data); // replay
        const flipped = Uint8Array.from(s.data);
        flipped[flipped.length - 1]! ^= 1; // tampered tag
        forged.push(flipped);
        const bumped = Uint8Array.from(s.data);
        bumped[13]! ^= 0x40; // a counter far ahead: must not move the replay window
        forged.push(bumped);
        const sealed = own.initiator.seal(bytes(`${secret} INJECTED`), 0); // Mallory's own keys, their connection id
        sealed.set(s.data.subarray(1, 6), 1);
        forged.push(sealed);
      }
      forged.push(init.data); // a replayed handshake init
      const before = { evil: heard.filter((p) => p === evil.local.port).length, server: heard.filter((p) => p === serve.port).length };
      const targets = [alice.addresses.local, bob.addresses.local, alice.addresses.relayed!, bob.addresses.relayed!];
      for (let round = 0; round < 2; round++) {
        for (const to of targets) for (const f of forged) evil.send(f, to);
        await sleep(300);
      }
      await sleep(700);
      // It did arrive: straight from her socket, and wrapped by the relay (Data indications).
      expect(heard.filter((p) => p === evil.local.port).length - before.evil).toBeGreaterThan(forged.length);
      expect(heard.filter((p) => p === serve.port).length - before.server).toBeGreaterThan(forged.length);

      // Nothing of it reached an application, no connection appeared, nothing was delivered twice.
      expect(gotB.filter((t) => t.includes('INJECTED'))).toEqual([]);
      expect(gotA.filter((t) => t.includes('INJECTED'))).toEqual([]);
      expect(gotB).toHaveLength(20);
      expect(new Set(gotB).size).toBe(20);
      expect(gotA).toHaveLength(10);
      expect(atBob).toHaveLength(2);
      expect(atAlice).toHaveLength(0);
      // The connection still works, on the same direct 5-tuple (no path moved to Mallory).
      a.send(bytes('after the attack'));
      b.send(bytes('after the attack too'));
      await waitFor(() => gotB.includes('after the attack') && gotA.includes('after the attack too'), 'messages after the attack');
      expect(a.path).toMatchObject({ kind: 'direct', remote: bob.addresses.local });
      expect(b.path).toMatchObject({ kind: 'direct', remote: alice.addresses.local });
      expect(b.stats().bytesReceived).toBe(gotB.reduce((n, t) => n + bytes(t).length, 0));
      // Her replays and forgeries were counted where they were dropped.
      for (const c of [a, b]) {
        expect(c.stats().replaysDropped).toBeGreaterThan(0);
        expect(c.stats().authFailures).toBeGreaterThan(0);
      }
    } finally {
      await evil.close();
      for (const p of peers) await p.close();
    }
  }, 30_000);

  it("registering with someone else's peer id (signed with one's own key) is refused with a clear error; the owner stays reachable", async () => {
    const server = serve.server;
    const [aliceId, malloryId] = [Identity.fromSeed(randomBytes(32)), Identity.fromSeed(randomBytes(32))];
    const alice = await createPeer({ server, identity: aliceId }, { network });
    const mallory = await createPeer({ server, identity: malloryId }, { network });
    try {
      const impostor = { peerId: aliceId.peerId, sign: (context: string, message: Uint8Array) => malloryId.sign(context, message) };
      const url = serve.rendezvousUrl;
      const attempt = connectRendezvous({ url, identity: impostor, nat: { ipv4: null, ipv6: null }, candidates: [], timeoutMs: 5000 });
      const error = await attempt.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RendezvousRefusedError);
      expect(error).toMatchObject({ code: 'bad-signature', message: expect.stringMatching(/does not verify with the key of this peer id/) });
      // Alice's registration was not displaced: a connection to her id reaches her key.
      const incoming = accepted(alice);
      const c = await mallory.connect(aliceId.peerId, { signal: AbortSignal.timeout(10_000) });
      expect(c.remotePeerId).toBe(aliceId.peerId);
      expect((await incoming).remotePeerId).toBe(malloryId.peerId);
    } finally {
      await alice.close();
      await mallory.close();
    }
  }, 20_000);
});
