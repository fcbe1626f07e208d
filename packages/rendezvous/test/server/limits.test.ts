import { describe, expect, it } from 'vitest';
import { CloseCode, RendezvousRefusedError } from '../../src/index.js';
import { connectClient, newIdentity, RawClient, signedRegister, startServer } from '../fixtures.js';

describe('limits per peer and per IP', () => {
  it('connect requests per peer: over the burst, rate-limited with retryAfterMs', async () => {
    const server = await startServer({ limits: { connectsPerPeer: { burst: 2, perSecond: 1 } } });
    const [alice, bob] = [await connectClient(server.url), await connectClient(server.url)];
    await alice.connect(bob.peerId);
    await alice.connect(bob.peerId);
    const refused = await alice.connect(bob.peerId).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RendezvousRefusedError);
    expect(refused).toMatchObject({ code: 'rate-limited' });
    expect((refused as RendezvousRefusedError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as RendezvousRefusedError).retryAfterMs).toBeLessThanOrEqual(1_000);
    // Bob's own budget is untouched.
    await expect(bob.connect(alice.peerId)).resolves.toMatchObject({ role: 'initiator' });
  });

  it('connect requests per IP count every peer behind it', async () => {
    const server = await startServer({ limits: { connectsPerIp: { burst: 3, perSecond: 0.1 } } });
    const [a, b, c] = [await connectClient(server.url), await connectClient(server.url), await connectClient(server.url)];
    await a.connect(b.peerId);
    await b.connect(c.peerId);
    await c.connect(a.peerId);
    await expect(a.connect(c.peerId)).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('registrations per IP', async () => {
    const server = await startServer({ limits: { registrationsPerIp: { burst: 2, perSecond: 0.01 } } });
    await connectClient(server.url);
    await connectClient(server.url);
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    raw.send(signedRegister(newIdentity(), hello.challenge));
    expect(await raw.next('error')).toMatchObject({ code: 'rate-limited', retryAfterMs: expect.any(Number) });
  });

  it('registrations per peer id (a flapping or hijacked id)', async () => {
    const server = await startServer({ limits: { registrationsPerPeer: { burst: 1, perSecond: 0.01 } } });
    const alice = newIdentity();
    await (await RawClient.open(server.url)).register(alice);
    const again = await RawClient.open(server.url);
    const hello = await again.next('hello');
    again.send(signedRegister(alice, hello.challenge));
    expect(await again.next('error')).toMatchObject({ code: 'rate-limited' });
  });

  it('concurrent connections per IP: the one over is refused and closed, a slot frees on close', async () => {
    const server = await startServer({ limits: { connectionsPerIp: 2 } });
    const first = await RawClient.open(server.url);
    await first.next('hello');
    await (await RawClient.open(server.url)).next('hello');
    const third = await RawClient.open(server.url);
    expect(await third.next('error')).toMatchObject({ code: 'too-many-connections' });
    expect(await third.closed).toBe(CloseCode.TooManyConnections);
    first.ws.close();
    await first.closed;
    for (let attempt = 0; attempt < 50 && server.stats().connections > 1; attempt++) await new Promise((r) => setTimeout(r, 10));
    await expect((await RawClient.open(server.url)).next('hello')).resolves.toMatchObject({ type: 'hello' });
  });

  it('messages per connection: a flood is refused, not served', async () => {
    const server = await startServer({ limits: { messagesPerConnection: { burst: 5, perSecond: 0.01 } } });
    const raw = await RawClient.open(server.url);
    for (let i = 0; i < 8; i++) raw.send({ type: 'ping', nonce: `n${i}` });
    for (let i = 0; i < 5; i++) await raw.next('pong');
    for (let i = 0; i < 3; i++) expect(await raw.next('error')).toMatchObject({ code: 'rate-limited' });
    expect(raw.messages.filter((m) => m.type === 'pong')).toHaveLength(0);
  });
});
