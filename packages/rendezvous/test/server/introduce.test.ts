import { describe, expect, it } from 'vitest';
import type { Introduction } from '../../src/index.js';
import { candidatesOf, connectClient, newIdentity, portRestricted, RawClient, startServer, symmetricSequential } from '../fixtures.js';

describe('introductions', () => {
  it("carry each side's candidates, NAT profile and observed address to the other", async () => {
    const server = await startServer();
    const alice = await connectClient(server.url, newIdentity(), 1, portRestricted);
    const bob = await connectClient(server.url, newIdentity(), 2, symmetricSequential);
    const atBob = new Promise<Introduction>((resolve) => bob.on('introduce', resolve));
    const atAlice = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(5_000) });
    const forBob = await atBob;

    expect(atAlice).toMatchObject({ role: 'initiator', peer: { peerId: bob.peerId, observed: bob.observed, nat: symmetricSequential, candidates: candidatesOf(2) } });
    expect(forBob).toMatchObject({ role: 'responder', peer: { peerId: alice.peerId, observed: alice.observed, nat: portRestricted, candidates: candidatesOf(1) } });
    expect(forBob.requestId).toBe(atAlice.requestId);
    expect(forBob.connectionId).toBe(atAlice.connectionId);
    expect(Buffer.from(atAlice.connectionId, 'base64url')).toHaveLength(32);
    expect(atAlice.rttMs).toBe(forBob.peerRttMs);
    expect(atAlice.fireAt).toBe(atAlice.receivedAt + atAlice.fireInMs);
    expect(server.stats().introductions).toBe(1);
  });

  it('each attempt gets a new connection id', async () => {
    const server = await startServer();
    const [alice, bob] = [await connectClient(server.url), await connectClient(server.url)];
    const first = await alice.connect(bob.peerId);
    const second = await alice.connect(bob.peerId);
    expect(second.connectionId).not.toBe(first.connectionId);
  });

  it('an update is what later introductions carry', async () => {
    const server = await startServer();
    const [alice, bob] = [await connectClient(server.url, newIdentity(), 1), await connectClient(server.url, newIdentity(), 2)];
    bob.update(symmetricSequential, candidatesOf(7));
    await new Promise((r) => setTimeout(r, 50));
    expect((await alice.connect(bob.peerId)).peer).toMatchObject({ nat: symmetricSequential, candidates: candidatesOf(7) });
  });

  it('a popular peer: concurrent requests from 12 peers share its RTT probe and all succeed', async () => {
    const server = await startServer({ rttMaxAgeMs: 0 });
    const target = await connectClient(server.url);
    const initiators = await Promise.all(Array.from({ length: 12 }, (_, i) => connectClient(server.url, newIdentity(), 10 + i)));
    const intros = await Promise.all(initiators.map((c) => c.connect(target.peerId)));
    expect(intros.map((i) => i.peer.peerId)).toEqual(initiators.map(() => target.peerId));
    expect(new Set(intros.map((i) => i.connectionId)).size).toBe(12);
  });

  it('unknown peer, self-connect: refused with the request id', async () => {
    const server = await startServer();
    const alice = await connectClient(server.url);
    await expect(alice.connect(newIdentity().peerId)).rejects.toMatchObject({ code: 'unknown-peer' });
    await expect(alice.connect(alice.peerId)).rejects.toMatchObject({ code: 'self-connect' });
  });

  it('a peer that left is unknown', async () => {
    const server = await startServer();
    const [alice, bob] = [await connectClient(server.url), await connectClient(server.url)];
    await bob.close();
    for (let i = 0; i < 50 && server.stats().registered > 1; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(alice.connect(bob.peerId)).rejects.toMatchObject({ code: 'unknown-peer' });
  });

  it('a target that does not answer the RTT probe: peer-unresponsive', async () => {
    const server = await startServer({ rttProbeTimeoutMs: 150 });
    const alice = await connectClient(server.url);
    const silent = newIdentity();
    await (await RawClient.open(server.url)).register(silent); // never answers pings
    await expect(alice.connect(silent.peerId)).rejects.toMatchObject({ code: 'peer-unresponsive' });
  });
});
