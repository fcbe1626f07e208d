import { describe, expect, it } from 'vitest';
import { connectClient, newIdentity, RawClient, startServer } from '../fixtures.js';
import { startDelayProxy } from './delay-proxy.js';

describe('heartbeat and presence', () => {
  it('a registered client that stops answering pings is closed and its peer id leaves', async () => {
    const server = await startServer({ heartbeatMs: 60, tickMs: 15 });
    const alice = await connectClient(server.url);
    const silent = newIdentity();
    const raw = await RawClient.open(server.url);
    await raw.register(silent);
    await raw.closed;
    expect(server.stats().closed['heartbeat-timeout']).toBe(1);
    await expect(alice.connect(silent.peerId)).rejects.toMatchObject({ code: 'unknown-peer' });
  });

  it('a client that answers stays registered across many heartbeats', async () => {
    const server = await startServer({ heartbeatMs: 150, tickMs: 20, presenceTtlMs: 400 });
    const [alice, bob] = [await connectClient(server.url), await connectClient(server.url)];
    await new Promise((r) => setTimeout(r, 1_000)); // several heartbeats, past the presence TTL
    expect(server.stats()).toMatchObject({ registered: 2 });
    await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ role: 'initiator' });
  });

  it('the client library drops a server that went silent (3 heartbeats)', async () => {
    const server = await startServer({ heartbeatMs: 50, tickMs: 10 });
    const proxy = await startDelayProxy(server.port, 0);
    const alice = await connectClient(`ws://127.0.0.1:${proxy.port}/rendezvous`);
    const closed = new Promise<number>((resolve) => alice.on('close', ({ code }) => resolve(code)));
    proxy.stall();
    const stalledAt = performance.now();
    try {
      expect(await closed).toBe(1006);
      expect(performance.now() - stalledAt).toBeGreaterThanOrEqual(100);
    } finally {
      await proxy.close();
    }
  });
});
