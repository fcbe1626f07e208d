import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { createPeer, type ConnectionClosed, type Peer, type PeerConnection, type PeerOptions } from '../../src/index.js';
import { mutableNetwork } from './mutable-network.js';
import { accepted, useNatkitServe } from './natkit-serve.js';

const network = createNodeNetwork();
const serve = useNatkitServe();

function waitFor<T>(what: string, timeoutMs: number, subscribe: (done: (v: T) => void) => () => void): Promise<T> {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      off();
      fail(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = subscribe((v) => {
      clearTimeout(timer);
      off();
      ok(v);
    });
  });
}

const pathIs = (c: PeerConnection, kind: 'direct' | 'relay', ms: number): Promise<unknown> =>
  c.path.kind === kind ? Promise.resolve() : waitFor(`${kind} path`, ms, (done) => c.on('path', (p) => p.kind === kind && done(p)));
const closedWith = (c: PeerConnection, ms: number): Promise<ConnectionClosed> => waitFor('close', ms, (done) => c.on('close', done));
const nextMessage = (c: PeerConnection, ms = 5000): Promise<string> => waitFor('message', ms, (done) => c.onMessage((m) => done(new TextDecoder().decode(m))));

async function peers(timing: Partial<PeerOptions>, bobRelay: 'udp' | 'tcp'): Promise<{ alice: Peer; bob: Peer; cut: ReturnType<typeof mutableNetwork> }> {
  const server = serve.server;
  const cut = mutableNetwork();
  const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), ...timing }, { network });
  const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), relay: bobRelay, ...timing }, { network: cut.network });
  return { alice, bob, cut };
}

describe('@natkit/peer connection lifecycle over loopback with a real natkit serve (relay) and real sockets', () => {
  it('direct path dies: back to the relay on the same session; once the network heals a re-probe finds the direct path again', async () => {
    const timing = { directTimeoutMs: 600, keepaliveMs: 200, idleTimeoutMs: 20_000, reprobeMs: 400, maxReprobeMs: 1600 };
    // Bob relays over TCP, so cutting his UDP socket kills only the direct path.
    const { alice, bob, cut } = await peers(timing, 'tcp');
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      await pathIs(a, 'direct', 5000);
      cut.mute();
      await pathIs(a, 'relay', 5000);
      const overRelay = nextMessage(b);
      a.send(new TextEncoder().encode('over the relay'));
      expect(await overRelay).toBe('over the relay');
      const switches = a.stats().pathSwitches;
      cut.unmute();
      await pathIs(a, 'direct', 8000);
      expect(a.stats().pathSwitches).toBe(switches + 1);
      const direct = nextMessage(a);
      b.send(new TextEncoder().encode('direct again'));
      expect(await direct).toBe('direct again');
      expect(a.closed).toBe(false);
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 30_000);

  it('a peer that goes silent on every path: the connection closes with ERR_PEER_CONNECTION_LOST after the idle bound; a peer that closes says so (remote)', async () => {
    const timing = { directTimeoutMs: 800, keepaliveMs: 200, idleTimeoutMs: 1200 };
    // Bob relays over UDP from the same socket: cutting it silences him everywhere.
    const { alice, bob, cut } = await peers(timing, 'udp');
    const { alice: carol, bob: dave } = await peers({}, 'udp');
    try {
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      await incoming;
      await pathIs(a, 'direct', 5000);
      const started = performance.now();
      cut.mute();
      const lost = await closedWith(a, 5000);
      const afterMs = performance.now() - started;
      expect(lost.reason).toBe('timeout');
      expect(lost.error?.code).toBe('ERR_PEER_CONNECTION_LOST');
      expect(lost.error?.message).toContain(bob.peerId);
      expect(afterMs).toBeGreaterThan(800); // the last answer was at most one check (200 ms) before
      expect(a.closeReason).toBe(lost);

      const daveSide = accepted(dave);
      const c = await carol.connect(dave.peerId, { signal: AbortSignal.timeout(10_000) });
      const d = await daveSide;
      const remote = closedWith(c, 5000);
      d.close();
      expect(await remote).toEqual({ reason: 'remote', error: null });
      expect(d.closeReason).toEqual({ reason: 'local', error: null });
    } finally {
      await alice.close();
      await bob.close();
      await carol.close();
      await dave.close();
    }
  }, 30_000);
});
