import { afterEach, describe, expect, it } from 'vitest';
import type { Introduction } from '../../src/index.js';
import { connectClient, newIdentity, startServer } from '../fixtures.js';
import { startDelayProxy } from './delay-proxy.js';

const proxies: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) await proxy.close();
});

describe('fire time over loopback with a slow path to one side', () => {
  it('both sides fire at the same moment although one is 150 ms further from the server', async () => {
    const ONE_WAY_MS = 75; // the far side's RTT to the server is about 150 ms more
    const server = await startServer({ fireMarginMs: 10 });
    const proxy = await startDelayProxy(server.port, ONE_WAY_MS);
    proxies.push(proxy);
    const near = await connectClient(server.url, newIdentity(), 1);
    const far = await connectClient(`ws://127.0.0.1:${proxy.port}/rendezvous`, newIdentity(), 2);
    const fired: Record<string, number> = {};
    const fire = (name: string) => (intro: Introduction): void => {
      setTimeout(() => (fired[name] = performance.now()), Math.max(0, intro.fireAt - performance.now()));
    };
    near.on('introduce', fire('near'));
    far.on('introduce', fire('far'));
    const intro = await near.connect(far.peerId);
    for (let i = 0; i < 100 && Object.keys(fired).length < 2; i++) await new Promise((r) => setTimeout(r, 10));

    // The server measured the far side's RTT and made the near side wait half the difference.
    expect(intro.peerRttMs).toBeGreaterThanOrEqual(2 * ONE_WAY_MS);
    expect(Math.abs(intro.fireInMs - ((intro.peerRttMs - intro.rttMs) / 2 + 10))).toBeLessThanOrEqual(1);
    // Unscheduled, the far side would fire ONE_WAY_MS later than the near one.
    const skew = Math.abs((fired.far ?? Infinity) - (fired.near ?? 0));
    expect(skew).toBeLessThan(ONE_WAY_MS / 2);
  });
});
