/**
 * A peer's own NAT rebinds (loopback: its UDP socket moves to a new port): the server knows its
 * allocation only by the old 5-tuple, so the relay no longer reaches it. The TURN client's
 * keepalive sees the new mapped address, the peer allocates again, announces the new relayed
 * address to the rendezvous (`update`), and a peer connecting afterwards reaches it through it.
 * Real `natkit serve` on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork } from '@natkit/net';
import { expect, it } from 'vitest';
import { createPeer } from '../../src/index.js';
import { accepted, useNatkitServe } from './natkit-serve.js';
import { rebindableNetwork } from './rebindable-network.js';

const network = createNodeNetwork();
const serve = useNatkitServe();

async function until<T>(what: string, get: () => T | null, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('after its NAT rebinds, a peer allocates its relay again and is reachable through the new one', async () => {
  const server = serve.server;
  const moving = rebindableNetwork(network);
  // Relay only (no direct path), keepalives every 300 ms; nat 'skip': the rebindable network models one socket.
  const bob = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), relay: 'udp', nat: 'skip', directPath: false, keepaliveMs: 300, watchNetworkMs: false }, { network: moving.network });
  const alice = await createPeer({ server, identity: Identity.fromSeed(randomBytes(32)), directPath: false, watchNetworkMs: false }, { network });
  try {
    const before = bob.addresses.relayed;
    expect(before).not.toBeNull();
    await moving.rebind();
    const after = await until('a new allocation', () => {
      const r = bob.addresses.relayed;
      return r !== null && r.port !== before?.port ? r : null;
    }, 8000);
    expect(after.port).not.toBe(before?.port);
    expect(bob.relayProblem).toBeNull();
    const incoming = accepted(bob);
    const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
    const b = await incoming;
    expect(a.path.kind).toBe('relay');
    const got = new Promise<string>((ok) => b.onMessage((m) => ok(new TextDecoder().decode(m))));
    a.send(new TextEncoder().encode('through the new relay'));
    expect(await got).toBe('through the new relay');
    const back = new Promise<string>((ok) => a.onMessage((m) => ok(new TextDecoder().decode(m))));
    b.send(new TextEncoder().encode('and back'));
    expect(await back).toBe('and back');
  } finally {
    await alice.close();
    await bob.close();
  }
}, 30_000);
