import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock, natPresets, type LinkOptions, type TraceEntry } from '../src/index.js';
import { createPrng } from '../src/prng.js';
import { LinkNode as Link, LINK_QUEUE_FULL } from '../src/link.js';
import { publicSocket } from './fixtures.js';

const lossy: LinkOptions = { latencyMs: 20, jitterMs: 10, loss: 0.2, duplicate: 0.1, reorder: 0.2 };

/** 300 numbered datagrams, one per ms, from a host behind a lossy access link to a server. */
async function run(seed: number): Promise<{ order: number[]; trace: TraceEntry[]; lost: number }> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed, trace: 100_000 });
  const nat = vnet.createRouter(vnet.internet, { nat: natPresets.fullCone });
  const client = await vnet.createHost(nat, { link: lossy }).network.bindUdp({ family: 4 });
  const server = await publicSocket(vnet, 9);
  const order: number[] = [];
  server.onMessage((data) => order.push(new DataView(data.buffer, data.byteOffset).getUint16(0)));
  for (let i = 0; i < 300; i++) {
    const d = new Uint8Array(2);
    new DataView(d.buffer).setUint16(0, i);
    client.send(d, server.local);
    await clock.advance(1);
  }
  await clock.advance(1000);
  return { order, trace: vnet.trace(), lost: vnet.stats().drops.lost };
}

describe('link impairments', () => {
  it('loss, duplication and reordering are reproducible from the seed', async () => {
    const first = await run(42);
    const again = await run(42);
    const other = await run(43);
    expect(again.order).toEqual(first.order);
    expect(again.trace).toEqual(first.trace);
    expect(other.order).not.toEqual(first.order);

    const { order, lost } = first;
    expect(lost / 300).toBeGreaterThan(0.1);
    expect(lost / 300).toBeLessThan(0.3);
    expect(order.length - new Set(order).size).toBeGreaterThan(5); // duplicates arrived
    const inversions = order.filter((n, i) => i > 0 && n < order[i - 1]!).length;
    expect(inversions).toBeGreaterThan(5); // reordered
    expect(first.trace.some((e) => e.event === 'duplicate')).toBe(true);
  });

  it('latency delays delivery by exactly the sum of the links on the path', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const nat = vnet.createRouter(vnet.internet, { link: { latencyMs: 30 } });
    const client = await vnet.createHost(nat, { link: { latencyMs: 5 } }).network.bindUdp({ family: 4 });
    const server = await publicSocket(vnet, 9);
    const at: number[] = [];
    server.onMessage(() => at.push(clock.now()));
    client.send(new Uint8Array(1), server.local);
    await clock.advance(34);
    expect(at).toEqual([]);
    await clock.advance(1);
    expect(at).toEqual([35]);
  });

  it('a token bucket lets a burst through, then spaces packets, then drops past the queue limit', () => {
    const link = new Link('l', createPrng(1), { bandwidth: { bytesPerSecond: 10_000, burstBytes: 1000, maxQueueMs: 100 } });
    const delays = [0, 0, 0, 0, 0].map(() => link.transit(true, 500, 0));
    expect(delays).toEqual([0, 0, 50, 100, LINK_QUEUE_FULL]);
    expect(link.transit(false, 500, 0)).toBe(0); // the other direction has its own bucket
    expect(link.transit(true, 500, 1000)).toBe(0); // refilled after a quiet second
  });

  it('rejects impossible link settings', () => {
    expect(() => new Link('l', createPrng(1), { loss: 1.5 })).toThrow(/loss/);
    expect(() => new Link('l', createPrng(1), { latencyMs: -1 })).toThrow(/latencyMs/);
  });

  it('the trace is a bounded ring', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock, trace: 5 });
    const server = await publicSocket(vnet, 9);
    const client = await publicSocket(vnet, 10);
    for (let i = 0; i < 10; i++) client.send(new Uint8Array(1), server.local);
    await clock.advance(0);
    const trace = vnet.trace();
    expect(trace).toHaveLength(5);
    expect(trace.at(-1)).toMatchObject({ event: 'deliver', packet: 9 });
  });
});
