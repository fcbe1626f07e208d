import { describe, expect, it } from 'vitest';
import { connectClient, RawClient, startServer } from '../fixtures.js';

describe('a client that does not read', () => {
  it('is dropped once its send queue passes the bound; the server keeps serving others', async () => {
    const server = await startServer({ limits: { maxBufferedBytes: 64 * 1024, messagesPerConnection: { burst: 1e9, perSecond: 1e9 } } });
    const other = await connectClient(server.url);
    const raw = await RawClient.open(server.url);
    await raw.next('hello');
    raw.ws.pause(); // reads nothing from here on; the kernel buffers fill, then the server's queue
    const nonce = 'n'.repeat(32);
    const text = JSON.stringify({ type: 'ping', nonce });
    let sent = 0;
    // Bounded: at most 400,000 pings (about 20 MB of pongs), well past loopback's socket buffers.
    while (sent < 400_000 && server.stats().closed['slow-reader'] === undefined) {
      for (let i = 0; i < 2_000; i++) raw.ws.send(text);
      sent += 2_000;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(server.stats().closed['slow-reader']).toBe(1);
    for (let i = 0; i < 100 && server.stats().connections > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats().connections).toBe(1);
    const late = await connectClient(server.url);
    await expect(late.connect(other.peerId)).resolves.toMatchObject({ role: 'initiator' });
  }, 30_000);
});
