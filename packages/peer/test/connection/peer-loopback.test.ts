import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { createPeer, type Peer, type PeerConnection, type PeerOptions } from '../../src/index.js';
import { mutableNetwork } from './mutable-network.js';
import { rebindableNetwork } from './rebindable-network.js';
import { accepted, useNatkitServe } from './natkit-serve.js';

const network = createNodeNetwork();

const serve = useNatkitServe();

async function pair(options: Partial<PeerOptions> = {}, bobOptions: Partial<PeerOptions> = options): Promise<{ alice: Peer; bob: Peer; close: () => Promise<void> }> {
  const server = serve.server;
  const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), ...options }, { network });
  const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), ...bobOptions }, { network });
  return { alice, bob, close: async () => { await alice.close(); await bob.close(); } };
}

function nextMessage(c: PeerConnection, timeoutMs = 5000): Promise<string> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no message')), timeoutMs);
    const off = c.onMessage((m) => {
      clearTimeout(timer);
      off();
      ok(new TextDecoder().decode(m));
    });
  });
}

function waitPath(c: PeerConnection, kind: 'direct' | 'relay', timeoutMs = 5000): Promise<void> {
  if (c.path.kind === kind) return Promise.resolve();
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`still ${c.path.kind} after ${timeoutMs} ms`)), timeoutMs);
    const off = c.on('path', (p) => {
      if (p.kind !== kind) return;
      clearTimeout(timer);
      off();
      ok();
    });
  });
}

describe('@natkit/peer connections over loopback with a real natkit serve', () => {
  it('connects relay first, then upgrades to direct without a new session; data flows both ways', async () => {
    const { alice, bob, close } = await pair();
    try {
      expect(alice.addresses.relayed).not.toBeNull();
      expect(alice.addresses.relayTransport).toBe('udp');
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const paths: string[] = [];
      a.on('path', (p) => paths.push(p.kind));
      expect(a.path.kind).toBe('relay'); // the handshake answer came through the relay
      const b = await incoming;
      expect(b.remotePeerId).toBe(alice.peerId);
      expect(a.remotePeerId).toBe(bob.peerId);
      const first = nextMessage(b);
      a.send(new TextEncoder().encode('hello bob'));
      expect(await first).toBe('hello bob');
      await waitPath(a, 'direct');
      await waitPath(b, 'direct');
      expect(a.path).toMatchObject({ kind: 'direct', remote: { address: '127.0.0.1', port: bob.addresses.local.port } });
      const back = nextMessage(a);
      b.send(new TextEncoder().encode('hello alice'));
      expect(await back).toBe('hello alice');
      // Both peers come from 127.0.0.1: the planner's same-NAT plan (host candidates).
      expect(a.stats()).toMatchObject({ path: 'direct', strategy: 'same-nat' });
      expect(a.stats().pathSwitches).toBeGreaterThanOrEqual(1);
      expect(a.stats().rttMs).not.toBeNull();
      expect(a.directAfterMs).not.toBeNull();
      expect(paths).toEqual(['direct']);
    } finally {
      await close();
    }
  }, 20_000);

  it('a stream of datagrams keeps flowing, in one session, while the path moves from relay to direct', async () => {
    const { alice, bob, close } = await pair();
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      const got: number[] = [];
      const pathAt: string[] = [];
      b.onMessage((m) => {
        got.push(new DataView(m.buffer, m.byteOffset).getUint32(0));
        pathAt.push(b.path.kind);
      });
      const sentOn: string[] = [];
      for (let i = 0; i < 200; i++) {
        const m = new Uint8Array(4);
        new DataView(m.buffer).setUint32(0, i);
        sentOn.push(a.path.kind);
        a.send(m);
        await new Promise((r) => setTimeout(r, 3));
      }
      for (let i = 0; i < 40 && got.length < 200; i++) await new Promise((r) => setTimeout(r, 25));
      expect(sentOn[0]).toBe('relay');
      expect(sentOn.at(-1)).toBe('direct');
      expect(pathAt.at(-1)).toBe('direct');
      expect(new Set(got).size).toBe(200); // loopback: nothing lost across the switch
    } finally {
      await close();
    }
  }, 20_000);

  it('stays on the relay with directPath: false, and data flows through the TURN server', async () => {
    const { alice, bob, close } = await pair({ directPath: false });
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      expect(a.path.kind).toBe('relay');
      expect(a.path).toMatchObject({ relay: bob.addresses.relayed });
      for (let i = 0; i < 5; i++) {
        const got = nextMessage(b);
        a.send(new TextEncoder().encode(`m${i}`));
        expect(await got).toBe(`m${i}`);
        const echo = nextMessage(a);
        b.send(new TextEncoder().encode(`e${i}`));
        expect(await echo).toBe(`e${i}`);
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(a.path.kind).toBe('relay');
      expect(b.path.kind).toBe('relay');
      expect(a.stats().strategy).toBe('relay');
    } finally {
      await close();
    }
  }, 20_000);

  it('falls back to the relay when the direct path goes silent, on the same session', async () => {
    const server = serve.server;
    const muted = mutableNetwork();
    const timing = { directTimeoutMs: 600, keepaliveMs: 200, reprobeMs: 60_000 };
    const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), ...timing }, { network });
    // Bob relays over TCP, so silencing his UDP socket kills only the direct path.
    const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), relay: 'tcp', ...timing }, { network: muted.network });
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      await waitPath(a, 'direct');
      const switches = a.stats().pathSwitches;
      muted.mute();
      await waitPath(a, 'relay', 5000);
      expect(a.stats().pathSwitches).toBe(switches + 1);
      const got = nextMessage(b);
      a.send(new TextEncoder().encode('after fallback'));
      expect(await got).toBe('after fallback');
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 20_000);

  it('follows the peer to its new address when its NAT mapping changes (rebinding), on the same session', async () => {
    const server = serve.server;
    const moving = rebindableNetwork(network);
    const timing = { directTimeoutMs: 5000, keepaliveMs: 150, reprobeMs: 60_000 };
    const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), ...timing }, { network });
    // Bob relays over TCP, so only his direct path moves.
    // nat: 'skip': the rebindable network models one socket (a diagnosis would bind more).
    const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), relay: 'tcp', nat: 'skip', ...timing }, { network: moving.network });
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      await waitPath(a, 'direct');
      const before = a.path.kind === 'direct' ? a.path.remote.port : 0;
      const moved = new Promise<number>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`still at port ${before}`)), 5000);
        a.on('path', (p) => {
          if (p.kind !== 'direct' || p.remote.port === before) return;
          clearTimeout(timer);
          ok(p.remote.port);
        });
      });
      await moving.rebind();
      const after = await moved;
      expect(after).not.toBe(before);
      const got = nextMessage(b);
      a.send(new TextEncoder().encode('to the new address'));
      expect(await got).toBe('to the new address');
      const back = nextMessage(a);
      b.send(new TextEncoder().encode('from the new address'));
      expect(await back).toBe('from the new address');
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 20_000);

  it('a peer whose UDP is blocked falls back to TCP for its relay and still connects', async () => {
    const server = serve.server;
    const blocked = mutableNetwork();
    blocked.mute();
    const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)) }, { network: blocked.network });
    const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)) }, { network });
    try {
      expect(alice.addresses.relayTransport).toBe('tcp');
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      const back = nextMessage(a);
      b.send(new TextEncoder().encode('to the blocked one'));
      expect(await back).toBe('to the blocked one');
      const got = nextMessage(b);
      a.send(new TextEncoder().encode('from the blocked one'));
      expect(await got).toBe('from the blocked one');
      expect(a.path.kind).toBe('relay');
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 20_000);

  it('a peer that relays over TCP reaches a UDP peer', async () => {
    const { alice, bob, close } = await pair({ relay: 'tcp', directPath: false }, {});
    try {
      expect(alice.addresses.relayTransport).toBe('tcp');
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      const got = nextMessage(b);
      a.send(new TextEncoder().encode('over tcp'));
      expect(await got).toBe('over tcp');
      const back = nextMessage(a);
      b.send(new TextEncoder().encode('back'));
      expect(await back).toBe('back');
    } finally {
      await close();
    }
  }, 20_000);
});
