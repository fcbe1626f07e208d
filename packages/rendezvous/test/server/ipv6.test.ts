import { describe, expect, it } from 'vitest';
import { connectClient, newIdentity, RawClient, startServer } from '../fixtures.js';

describe('over IPv6 loopback', () => {
  it('registers, observes ::1 and introduces', async () => {
    const server = await startServer({ host: '::1' });
    expect(server.url).toMatch(/^ws:\/\/\[::1\]:\d+\/rendezvous$/);
    const [alice, bob] = [await connectClient(server.url, newIdentity(), 1), await connectClient(server.url, newIdentity(), 2)];
    expect(alice.observed.address).toBe('::1');
    const intro = await alice.connect(bob.peerId);
    expect(intro.peer.observed).toEqual(bob.observed);
  });

  it('per-IP connection limits count an IPv6 client', async () => {
    const server = await startServer({ host: '::1', limits: { connectionsPerIp: 1 } });
    await (await RawClient.open(server.url)).next('hello');
    expect(await (await RawClient.open(server.url)).next('error')).toMatchObject({ code: 'too-many-connections' });
  });
});
