import { describe, expect, it } from 'vitest';
import type { RelayCredentials } from '../../src/index.js';
import { candidatesOf, connectClient, newIdentity, portRestricted, RawClient, startServer } from '../fixtures.js';

/** A relay that mints credentials valid `ttl` seconds, numbered so that each is told apart. */
function minter(ttl: number): { mint: (peerId: string) => RelayCredentials; minted: string[] } {
  const minted: string[] = [];
  return {
    minted,
    mint: (peerId) => {
      const username = `${minted.length}:${peerId}`;
      minted.push(username);
      return { username, password: `pw-${minted.length}`, ttl, urls: [] };
    },
  };
}

describe('refresh-relay: fresh relay credentials for a long-lived peer', () => {
  it('a registered peer gets fresh credentials; before registering it is refused with not-registered', async () => {
    const relay = minter(600);
    const server = await startServer({}, { mintRelayCredentials: relay.mint });
    const early = await RawClient.open(server.url);
    await early.next('hello');
    early.send({ type: 'refresh-relay' });
    expect(await early.next('error')).toMatchObject({ code: 'not-registered' });

    const raw = await RawClient.open(server.url);
    const identity = newIdentity();
    const registered = await raw.register(identity);
    expect(registered.relay?.username).toBe(`0:${identity.peerId}`);
    raw.send({ type: 'refresh-relay' });
    expect(await raw.next('relay-credentials')).toEqual({ type: 'relay-credentials', relay: { username: `1:${identity.peerId}`, password: 'pw-2', ttl: 600, urls: [] } });
    raw.send({ type: 'refresh-relay', extra: 1 });
    expect(await raw.next('error')).toMatchObject({ code: 'malformed' });
  });

  it('without a relay the answer is null', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url);
    await raw.register(newIdentity());
    raw.send({ type: 'refresh-relay' });
    expect(await raw.next('relay-credentials')).toEqual({ type: 'relay-credentials', relay: null });
  });

  it('the client asks again at half of the lifetime and keeps the freshest, with its expiry', async () => {
    const relay = minter(3); // seconds; taken as 2 (whole seconds may round down): renewed after ~1 s
    const server = await startServer({}, { mintRelayCredentials: relay.mint });
    const client = await connectClient(server.url);
    const first = client.relay;
    const firstExpiry = client.relayExpiresAt;
    expect(first?.username.startsWith('0:')).toBe(true);
    const renewed = await new Promise<RelayCredentials | null>((resolve) => client.on('relay', resolve));
    expect(renewed?.username.startsWith('1:')).toBe(true);
    expect(client.relay).toEqual(renewed);
    expect(client.relayExpiresAt).toBeGreaterThan(firstExpiry ?? Infinity);
    expect(await client.refreshRelay()).toMatchObject({ username: expect.stringMatching(/^2:/) });
  });
});

describe('notify-relay: a peer tells another that its relay moved, through the server', () => {
  it("the target gets the sender's registered relay candidates (after its update), not a claim; unknown targets are ignored", async () => {
    const server = await startServer();
    const alice = await RawClient.open(server.url);
    const aliceId = newIdentity();
    await alice.register(aliceId, 1);
    const bob = await connectClient(server.url, newIdentity(), 2);
    const got = new Promise<{ from: string; candidates: readonly unknown[] }>((resolve) => bob.on('peer-relay', resolve));
    const moved = { type: 'relay' as const, address: '198.51.100.1', port: 61_234 };
    alice.send({ type: 'update', nat: portRestricted, candidates: [...candidatesOf(1).filter((c) => c.type !== 'relay'), moved] });
    alice.send({ type: 'notify-relay', to: newIdentity().peerId }); // nobody: ignored
    alice.send({ type: 'notify-relay', to: bob.peerId });
    expect(await got).toEqual({ from: aliceId.peerId, candidates: [moved] });
    alice.send({ type: 'notify-relay', to: bob.peerId, relay: moved });
    expect(await alice.next('error')).toMatchObject({ code: 'malformed' });
  });

  it('before registering it is refused with not-registered', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url);
    await raw.next('hello');
    raw.send({ type: 'notify-relay', to: newIdentity().peerId });
    expect(await raw.next('error')).toMatchObject({ code: 'not-registered' });
  });
});
