import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { decodeMessage, transactionKey } from '../../src/index.js';
import { MAX_OUTSTANDING_PER_SERVER, ProbeContext } from '../../src/discovery/probe-context.js';

describe('ProbeContext', () => {
  it('keeps at most ten transactions outstanding towards one server across all its sockets (RFC 8489 §6.2)', async () => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const serverHost = vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' });
    const silent = await serverHost.network.bindUdp({ family: 4, port: 3478 });
    const firstSeen = new Map<string, number>();
    silent.onMessage((data) => {
      const m = decodeMessage(data);
      if (m.ok && !firstSeen.has(transactionKey(m.value.transactionId))) firstSeen.set(transactionKey(m.value.transactionId), clock.now());
    });
    const client = vnet.createHost(vnet.internet, { ipv4: '203.0.113.50' });
    const ctx = new ProbeContext({ network: client.network, clock }, 4, undefined);
    const sockets = await Promise.all(Array.from({ length: 15 }, () => ctx.open()));
    const policy = { rtoMs: 100, rc: 1, rm: 1 };
    const all = Promise.all(sockets.map((s) => ctx.binding(s, { address: '203.0.113.1', port: 3478 }, policy)));
    const results = await clock.runUntil(all);
    expect(results.map((r) => r.outcome)).toEqual(Array(15).fill('silent'));
    const times = [...firstSeen.values()];
    expect(times).toHaveLength(15);
    expect(times.filter((t) => t < 100)).toHaveLength(MAX_OUTSTANDING_PER_SERVER);
    expect(times.filter((t) => t >= 100)).toHaveLength(5);
    await ctx.close();
    await vnet.close();
  });
});
