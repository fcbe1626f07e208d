import { createServer, type AddressInfo } from 'node:net';
import { Identity } from '@natkit/identity';
import { describe, expect, it } from 'vitest';
import { connectRendezvous, RendezvousConnectionError, RendezvousRefusedError, type Introduction } from '../../src/index.js';
import { candidatesOf, connectClient, newIdentity, portRestricted, RawClient, startServer } from '../fixtures.js';

async function silentPeer(url: string): Promise<Identity> {
  const identity = newIdentity();
  await (await RawClient.open(url)).register(identity); // registered, never answers a ping
  return identity;
}

describe('client library', () => {
  it('an AbortSignal cancels a pending connect at once', async () => {
    const server = await startServer({ rttProbeTimeoutMs: 5_000 });
    const alice = await connectClient(server.url);
    const silent = await silentPeer(server.url);
    const controller = new AbortController();
    const started = performance.now();
    const pending = alice.connect(silent.peerId, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user gave up')), 50);
    await expect(pending).rejects.toThrow('user gave up');
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(alice.connect(silent.peerId, { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
  });

  it('a connect with no answer in time rejects with ERR_RENDEZVOUS_TIMEOUT', async () => {
    const server = await startServer({ rttProbeTimeoutMs: 5_000 });
    const alice = await connectClient(server.url);
    const silent = await silentPeer(server.url);
    await expect(alice.connect(silent.peerId, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'ERR_RENDEZVOUS_TIMEOUT' });
  });

  it('close() rejects pending requests and later ones', async () => {
    const server = await startServer({ rttProbeTimeoutMs: 5_000 });
    const alice = await connectClient(server.url);
    const silent = await silentPeer(server.url);
    const pending = alice.connect(silent.peerId);
    await alice.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RENDEZVOUS_CLOSED' });
    await expect(alice.connect(silent.peerId)).rejects.toBeInstanceOf(RendezvousConnectionError);
    await alice.close(); // idempotent
  });

  it('nobody listening: ERR_RENDEZVOUS_CONNECT', async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const attempt = connectRendezvous({ url: `ws://127.0.0.1:${port}/rendezvous`, identity: newIdentity(), nat: portRestricted, candidates: [] });
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_RENDEZVOUS_CONNECT' });
  });

  it('connectRendezvous honours an AbortSignal', async () => {
    const server = await startServer();
    const attempt = connectRendezvous({ url: server.url, identity: newIdentity(), nat: portRestricted, candidates: [], signal: AbortSignal.abort(new Error('stop')) });
    await expect(attempt).rejects.toThrow('stop');
  });

  it('a refused registration rejects connectRendezvous with the typed error', async () => {
    const server = await startServer({ limits: { registrationsPerIp: { burst: 0, perSecond: 0 } } });
    const attempt = connectRendezvous({ url: server.url, identity: newIdentity(), nat: portRestricted, candidates: candidatesOf(1) });
    await expect(attempt).rejects.toBeInstanceOf(RendezvousRefusedError);
    await expect(attempt).rejects.toMatchObject({ code: 'rate-limited' });
  });

  it('superseded: a refused event, then close with the reason', async () => {
    const server = await startServer();
    const identity = newIdentity();
    const first = await connectClient(server.url, identity);
    const refused = new Promise<RendezvousRefusedError>((resolve) => first.on('refused', resolve));
    const closed = new Promise<{ code: number; error: RendezvousRefusedError | null }>((resolve) => first.on('close', resolve));
    await connectClient(server.url, identity);
    expect((await refused).code).toBe('superseded');
    expect(await closed).toMatchObject({ code: 4001, error: { code: 'superseded' } });
  });

  it('a listener that throws does not stop the others', async () => {
    const server = await startServer();
    const [alice, bob] = [await connectClient(server.url), await connectClient(server.url)];
    bob.on('introduce', () => {
      throw new Error('listener bug');
    });
    const seen = new Promise<Introduction>((resolve) => bob.on('introduce', resolve));
    await alice.connect(bob.peerId);
    expect((await seen).role).toBe('responder');
  });
});
