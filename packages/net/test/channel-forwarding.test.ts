import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { channelForwardingStatus, createNodeNetwork, type ChannelForwarding, type Endpoint, type UdpSocket } from '../src/index.js';
import { loadUdpBatchAddon } from '../src/node/batch-udp-addon.js';

/* The addon's ChannelData fast path (native/udp-forward.c) on real loopback sockets: a listener
   (the TURN server's port), a relay socket, a client and a peer (node:dgram sockets, so that
   nothing on their side goes through the addon). Skipped with the reason where the addon is not
   built; under CI=true it must be (.ci/run installs a C compiler). */

const status = channelForwardingStatus();
const describeFwd = status.available || process.env.CI === 'true' ? describe : describe.skip;
if (!status.available) process.stderr.write(`channel-forwarding.test.ts: fast path unavailable: ${status.reason ?? '?'}\n`);

const batchNet = createNodeNetwork({ receiveBufferSize: 4 << 20 });
const plainNet = createNodeNetwork({ udpBatch: false, receiveBufferSize: 4 << 20 });

function channelData(channel: number, payload: string, declared = payload.length, extra = ''): Buffer {
  const b = Buffer.alloc(4 + payload.length + extra.length);
  b.writeUInt16BE(channel, 0);
  b.writeUInt16BE(declared, 2);
  b.write(payload + extra, 4, 'latin1');
  return b;
}

/** What a socket receives, kept as text with its source. */
function recorder(s: UdpSocket): { got: { text: string; from: Endpoint; bytes: Buffer }[] } {
  const r = { got: [] as { text: string; from: Endpoint; bytes: Buffer }[] };
  s.onMessage((d, from) => r.got.push({ text: Buffer.from(d).toString('latin1'), from, bytes: Buffer.from(d) }));
  return r;
}

/** Waits (5 ms steps, at most `ms`) until `done()`. */
async function until(done: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** A settle time for "nothing else arrives" checks: loopback delivers within a loop turn or two. */
const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, 60));

interface Rig {
  listener: UdpSocket;
  relay: UdpSocket;
  client: UdpSocket;
  peer: UdpSocket;
  fwd: ChannelForwarding;
  atListener: ReturnType<typeof recorder>;
  atRelay: ReturnType<typeof recorder>;
  atClient: ReturnType<typeof recorder>;
  atPeer: ReturnType<typeof recorder>;
  close(): Promise<void>;
}

async function rig(family: 4 | 6 = 4): Promise<Rig> {
  const address = family === 4 ? '127.0.0.1' : '::1';
  const listener = await batchNet.bindUdp({ family, address });
  const relay = await batchNet.bindUdp({ family, address });
  const client = await plainNet.bindUdp({ family, address });
  const peer = await plainNet.bindUdp({ family, address });
  const fwd = listener.channelForwarding;
  if (fwd === undefined) throw new Error('no channelForwarding on a batch socket');
  return {
    listener,
    relay,
    client,
    peer,
    fwd,
    atListener: recorder(listener),
    atRelay: recorder(relay),
    atClient: recorder(client),
    atPeer: recorder(peer),
    close: async () => {
      await Promise.all([listener, relay, client, peer].map((s) => s.close()));
    },
  };
}

describeFwd(`ChannelData fast path (${status.available ? 'addon loaded' : (status.reason ?? '')})`, () => {
  const addon = loadUdpBatchAddon();
  afterAll(() => void addon?.setRouteLimit(1 << 20));

  it('relays both ways with the channel header and payload, no handler sees those datagrams, counters add up', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4001, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      // UDP: padding optional, bytes past the declared length ignored (RFC 8656 §12.5).
      r.client.send(channelData(0x4001, 'hello', 5, '\0\0\0'), r.listener.local);
      await until(() => r.atPeer.got.length === 1);
      expect(r.atPeer.got).toEqual([{ text: 'hello', from: r.relay.local, bytes: Buffer.from('hello') }]);
      r.peer.send(Buffer.from('world!'), r.relay.local);
      await until(() => r.atClient.got.length === 1);
      expect(r.atClient.got[0]?.from).toEqual(r.listener.local);
      expect(r.atClient.got[0]?.bytes).toEqual(channelData(0x4001, 'world!'));
      await quiet();
      expect(r.atListener.got).toEqual([]);
      expect(r.atRelay.got).toEqual([]);
      expect(r.relay.channelForwarding?.forwarded()).toEqual({ packetsToPeers: 1, bytesToPeers: 5, packetsToClients: 1, bytesToClients: 6, drops: 0 });
    } finally {
      await r.close();
    }
  });

  it('a burst of 3,000 each way arrives whole and in the counters', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      const n = 3000;
      for (let sent = 0; sent < n; ) {
        for (let k = 0; k < 300 && sent < n; k++, sent++) {
          r.client.send(channelData(0x4000, `c${sent}`.padEnd(100, '.')), r.listener.local);
          r.peer.send(Buffer.from(`p${sent}`.padEnd(100, '.')), r.relay.local);
        }
        await new Promise((res) => setTimeout(res, 2));
      }
      await until(() => r.atPeer.got.length >= n && r.atClient.got.length >= n, 5000);
      expect(new Set(r.atPeer.got.map((g) => g.text)).size).toBe(n);
      expect(new Set(r.atClient.got.map((g) => g.text)).size).toBe(n);
      expect(r.atClient.got.every((g) => g.bytes.readUInt16BE(0) === 0x4000 && g.bytes.readUInt16BE(2) === 100)).toBe(true);
      const f = r.relay.channelForwarding?.forwarded();
      expect([f?.packetsToPeers, f?.packetsToClients, f?.drops]).toEqual([n, n, 0]);
      expect(r.atListener.got.length + r.atRelay.got.length).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('unknown channel, truncated or header-only ChannelData, a non-routed source and a non-routed peer reach the handlers unchanged', async () => {
    const r = await rig();
    const other = await plainNet.bindUdp({ family: 4, address: '127.0.0.1' });
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      const toListener = [channelData(0x4002, 'abc'), channelData(0x4000, 'abc', 4), Buffer.from([0x40, 0x00, 0x00]), Buffer.from('\0\x01not channeldata')];
      for (const b of toListener) r.client.send(b, r.listener.local);
      other.send(channelData(0x4000, 'from elsewhere'), r.listener.local);
      other.send(Buffer.from('peer-like but not routed'), r.relay.local);
      await until(() => r.atListener.got.length === 5 && r.atRelay.got.length === 1);
      await quiet();
      expect(r.atListener.got.map((g) => g.bytes)).toEqual([...toListener, channelData(0x4000, 'from elsewhere')]);
      expect(r.atRelay.got).toEqual([{ text: 'peer-like but not routed', from: other.local, bytes: Buffer.from('peer-like but not routed') }]);
      expect(r.atPeer.got).toEqual([]);
      expect(r.atClient.got).toEqual([]);
    } finally {
      await other.close();
      await r.close();
    }
  });

  it('a datagram of the client after one of its own that went to JS in the same batch goes to JS too (order kept)', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      // Two sends in one tick leave in one sendmmsg and wait together in the listener's buffer.
      const client = await batchNet.bindUdp({ family: 4, address: '127.0.0.1' });
      expect(r.fwd.setRoute({ client: client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      client.send(Buffer.from('\0\x03a refresh'), r.listener.local);
      client.send(channelData(0x4000, 'after it'), r.listener.local);
      await until(() => r.atListener.got.length === 2);
      await quiet();
      expect(r.atListener.got.map((g) => g.text)).toEqual(['\0\x03a refresh', channelData(0x4000, 'after it').toString('latin1')]);
      expect(r.atPeer.got).toEqual([]);
      await client.close();
    } finally {
      await r.close();
    }
  });

  it('a route past its ttl relays no more; deleteRoute stops it at once', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 40 })).toBe('ok');
      await new Promise((res) => setTimeout(res, 80));
      r.client.send(channelData(0x4000, 'late'), r.listener.local);
      r.peer.send(Buffer.from('late too'), r.relay.local);
      await until(() => r.atListener.got.length === 1 && r.atRelay.got.length === 1);
      expect(r.atListener.got[0]?.text).toBe(channelData(0x4000, 'late').toString('latin1'));
      expect(r.atRelay.got[0]?.text).toBe('late too');
      // Refreshed (setRoute again): relayed; deleted: to the handlers again, both ways.
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      r.client.send(channelData(0x4000, 'live'), r.listener.local);
      await until(() => r.atPeer.got.length === 1);
      expect(r.atPeer.got[0]?.text).toBe('live');
      expect(r.fwd.deleteRoute(r.client.local, 0x4000)).toBe(true);
      expect(r.fwd.deleteRoute(r.client.local, 0x4000)).toBe(false);
      r.client.send(channelData(0x4000, 'deleted'), r.listener.local);
      r.peer.send(Buffer.from('deleted too'), r.relay.local);
      await until(() => r.atListener.got.length === 2 && r.atRelay.got.length === 2);
      await quiet();
      expect(r.atPeer.got.length).toBe(1);
      expect(r.atClient.got.length).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('closing the relay socket removes its routes: the listener hands the ChannelData to JS', async () => {
    const r = await rig();
    try {
      const before = addon?.routeCount() ?? -1;
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4001, relay: r.relay, peer: { address: '127.0.0.1', port: r.peer.local.port + 1 }, ttlMs: 10_000 })).toBe('ok');
      expect(addon?.routeCount()).toBe(before + 2);
      await r.relay.close();
      expect(addon?.routeCount()).toBe(before);
      // A new socket may take the slot: the old routes must not send from it.
      const reused = await batchNet.bindUdp({ family: 4, address: '127.0.0.1' });
      const atReused = recorder(reused);
      r.client.send(channelData(0x4000, 'after close'), r.listener.local);
      await until(() => r.atListener.got.length === 1);
      await quiet();
      expect(r.atPeer.got).toEqual([]);
      expect(atReused.got).toEqual([]);
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 1000 })).toBe('not-supported');
      await reused.close();
    } finally {
      await r.close();
    }
  });

  it('seeded hostile datagrams from the routed client: relayed exactly when ChannelData on the route fits its length, else to JS unchanged', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4123, relay: r.relay, peer: r.peer.local, ttlMs: 60_000 })).toBe('ok');
      const datagram = fc
        .record({
          first: fc.oneof(fc.constant(0x41), fc.integer({ min: 0, max: 255 })),
          second: fc.oneof(fc.constant(0x23), fc.integer({ min: 0, max: 255 })),
          body: fc.uint8Array({ maxLength: 40 }),
          declared: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0xffff })),
        })
        .map(({ first, second, body, declared }) => {
          const b = Buffer.alloc(Math.max(0, Math.min(2, body.length)) + 2 + body.length);
          b[0] = first;
          if (b.length > 1) b[1] = second;
          const length = declared < 0 ? Math.max(0, b.length - 4 - (body.length % 3)) : declared; // -1: a length that fits
          if (b.length > 3) b.writeUInt16BE(length & 0xffff, 2);
          Buffer.from(body).copy(b, Math.min(4, b.length));
          return b.subarray(0, Math.max(1, b.length - (body.length % 5 === 0 ? 1 : 0)));
        });
      const samples = fc.sample(datagram, { seed: 6, numRuns: 300 });
      let relayed = 0;
      for (const d of samples) {
        const fits = d.length >= 4 && d[0] === 0x41 && d[1] === 0x23 && 4 + d.readUInt16BE(2) <= d.length;
        const before = { peer: r.atPeer.got.length, js: r.atListener.got.length };
        r.client.send(d, r.listener.local); // one at a time: each datagram is its own batch
        await until(() => r.atPeer.got.length + r.atListener.got.length > before.peer + before.js, 2000);
        if (fits) {
          relayed++;
          expect([r.atPeer.got.length, r.atListener.got.length]).toEqual([before.peer + 1, before.js]);
          expect(r.atPeer.got.at(-1)?.bytes).toEqual(d.subarray(4, 4 + d.readUInt16BE(2)));
        } else {
          expect([r.atPeer.got.length, r.atListener.got.length]).toEqual([before.peer, before.js + 1]);
          expect(r.atListener.got.at(-1)?.bytes).toEqual(d);
        }
      }
      expect(relayed).toBeGreaterThan(20); // the sample exercises both outcomes
      expect(samples.length - relayed).toBeGreaterThan(20);
    } finally {
      await r.close();
    }
  });

  it('a datagram from the routed peer too long for ChannelData with room to spare (> 65,471 bytes) goes to JS; 65,471 is relayed', async () => {
    const r = await rig();
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      r.peer.send(Buffer.alloc(65_472, 7), r.relay.local);
      await until(() => r.atRelay.got.length === 1);
      r.peer.send(Buffer.alloc(65_471, 8), r.relay.local);
      await until(() => r.atClient.got.length === 1);
      expect(r.atRelay.got.map((g) => g.bytes.length)).toEqual([65_472]);
      expect(r.atClient.got.map((g) => [g.bytes.length, g.bytes.readUInt16BE(2), g.bytes[65_474]])).toEqual([[65_475, 65_471, 8]]);
    } finally {
      await r.close();
    }
  });

  it('IPv6 on ::1: both ways', async () => {
    const r = await rig(6);
    try {
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x7fff, relay: r.relay, peer: r.peer.local, ttlMs: 10_000 })).toBe('ok');
      r.client.send(channelData(0x7fff, 'six'), r.listener.local);
      r.peer.send(Buffer.from('back'), r.relay.local);
      await until(() => r.atPeer.got.length === 1 && r.atClient.got.length === 1);
      expect(r.atPeer.got[0]).toEqual({ text: 'six', from: r.relay.local, bytes: Buffer.from('six') });
      expect(r.atClient.got[0]?.bytes).toEqual(channelData(0x7fff, 'back'));
      expect(r.atClient.got[0]?.from).toEqual(r.listener.local);
    } finally {
      await r.close();
    }
  });

  it('the table is bounded: beyond the limit setRoute says table-full and the channel stays on the JS path', async () => {
    const r = await rig();
    try {
      if (addon === undefined) throw new Error('addon not loaded');
      const base = addon.routeCount();
      expect(addon.setRouteLimit(base + 3)).toBe(0);
      const route = (channel: number, port: number): Parameters<ChannelForwarding['setRoute']>[0] => ({
        client: r.client.local,
        channel,
        relay: r.relay,
        peer: { address: '127.0.0.1', port },
        ttlMs: 10_000,
      });
      expect([0, 1, 2].map((i) => r.fwd.setRoute(route(0x4000 + i, 40_000 + i)))).toEqual(['ok', 'ok', 'ok']);
      expect(r.fwd.setRoute(route(0x4003, r.peer.local.port))).toBe('table-full');
      expect(r.fwd.setRoute(route(0x4001, 40_001))).toBe('ok'); // an update needs no room
      r.client.send(channelData(0x4003, 'over the limit'), r.listener.local);
      await until(() => r.atListener.got.length === 1);
      expect(r.atPeer.got).toEqual([]);
      expect(r.fwd.deleteRoute(r.client.local, 0x4000)).toBe(true);
      expect(r.fwd.setRoute(route(0x4003, r.peer.local.port))).toBe('ok');
    } finally {
      addon?.setRouteLimit(1 << 20);
      await r.close();
    }
  });

  it('a quota (token bucket per direction, 64 KiB burst) is shared by the route and take(): what is over it reaches the handlers', async () => {
    const r = await rig();
    try {
      const quota = r.fwd.createQuota(100); // 100 B/s: the burst (64 KiB) is all that passes in this test
      if (quota === undefined) throw new Error('no quota');
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000, quota })).toBe('ok');
      expect(quota.take('to-peer', 16_000)).toBe(true); // the caller's own share of the same bucket: 49,536 B left
      for (let i = 0; i < 60; i++) r.client.send(channelData(0x4000, 'u'.repeat(1000)), r.listener.local);
      for (let i = 0; i < 70; i++) r.peer.send(Buffer.alloc(1000, 1), r.relay.local);
      await until(() => r.atPeer.got.length + r.atListener.got.length === 60 && r.atClient.got.length + r.atRelay.got.length === 70);
      await quiet();
      // to the peer: 49 within the quota, the rest to JS; to the client: 65 (65,536 B), the rest to JS.
      expect([r.atPeer.got.length, r.atListener.got.length]).toEqual([49, 11]);
      expect([r.atClient.got.length, r.atRelay.got.length]).toEqual([65, 5]);
      expect(quota.take('to-peer', 5000)).toBe(false); // 536 B left, and 100 B/s since
      expect(quota.take('to-client', 1)).toBe(true);
      quota.close();
      quota.close();
      expect(quota.take('to-client', 1)).toBe(false);
      r.client.send(channelData(0x4000, 'after close'), r.listener.local);
      await until(() => r.atListener.got.length === 12);
      expect(r.atPeer.got.length).toBe(49);
      expect(r.fwd.setRoute({ client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 10_000, quota })).toBe('bad-route');
    } finally {
      await r.close();
    }
  });

  it('hostile arguments: -errno or a refusal, never a crash; a dgram relay socket is not-supported', async () => {
    const r = await rig();
    try {
      if (addon === undefined) throw new Error('addon not loaded');
      const loose = addon as unknown as Record<string, (...args: unknown[]) => unknown>;
      const call = (name: string, ...args: unknown[]): unknown => loose[name]?.(...args);
      // Ids that are no socket, and values of the wrong type: the addon checks every argument.
      const good = ['127.0.0.1', r.client.local.port, 0x4000] as const;
      for (const args of [
        [],
        ['x', ...good, 'y', '127.0.0.1', 9, 1000],
        [1e300, ...good, -5, '127.0.0.1', 9, 1000],
        [NaN, ...good, NaN, '127.0.0.1', 9, 1000],
        [{}, {}, {}, {}, {}, {}, {}, {}],
      ]) {
        expect(call('setRoute', ...args)).toBeLessThan(0);
      }
      expect(call('deleteRoute')).toBeLessThan(0);
      expect(call('deleteRoute', 99999999, '127.0.0.1', 1, 0x4000)).toBeLessThan(0);
      expect(call('forwardStats', 'x')).toBeLessThan(0);
      expect(call('forwardStats', 99999999)).toBeLessThan(0);
      for (const n of [0, -1, 2 ** 20 + 1, NaN, 'x']) expect(call('setRouteLimit', n)).toBeLessThan(0);
      for (const n of [0, -1, NaN, Infinity, 'x', {}, 1e300]) expect(call('createQuota', n)).toBeLessThan(0);
      for (const args of [[], [0], [-1], ['x'], [2 ** 40]]) expect(call('deleteQuota', ...args)).toBeLessThan(0);
      for (const args of [[], [1, 0, 1], [0, 0, 1], ['x', 0, 1], [2 ** 40, 1, 1]]) expect(call('takeQuota', ...args)).toBeLessThan(0);
      const q = call('createQuota', 1000);
      for (const args of [[q, 2, 1], [q, -1, 1], [q, 0, -5], [q, 0, NaN], [q, 0, Infinity], [q, 'x', 1]]) expect(call('takeQuota', ...args)).toBeLessThan(0);
      expect(call('setRoute', 1, '127.0.0.1', 5, 0x4000, 2, '127.0.0.1', 6, 1000, 123456)).toBeLessThan(0);
      expect(call('deleteQuota', q)).toBe(0);
      expect(call('deleteQuota', q)).toBeLessThan(0);
      const base = { client: r.client.local, channel: 0x4000, relay: r.relay, peer: r.peer.local, ttlMs: 1000 };
      const bad = [
        { channel: 0x3fff },
        { channel: 0x8000 },
        { channel: 1.5 },
        { ttlMs: 0 },
        { ttlMs: -1 },
        { ttlMs: NaN },
        { ttlMs: Infinity },
        { ttlMs: 86_400_001 },
        { client: { address: '::1', port: 5 } },
        { client: { address: 'not an ip', port: 5 } },
        { client: { address: 'x'.repeat(100_000), port: 5 } },
        { client: { address: '127.0.0.1', port: 0 } },
        { client: { address: '127.0.0.1', port: 65_536 } },
        { peer: { address: '127.0.0.1', port: -1 } },
        { peer: { address: '127.0.0.1\0evil', port: 5 } },
        { relay: r.listener },
      ];
      for (const b of bad) expect([JSON.stringify(b).slice(0, 60), r.fwd.setRoute({ ...base, ...b })]).toEqual([JSON.stringify(b).slice(0, 60), 'bad-route']);
      expect(r.fwd.setRoute({ ...base, relay: r.client })).toBe('not-supported');
      expect(r.fwd.deleteRoute({ address: 'nope', port: 1 }, 0x4000)).toBe(false);
      expect(r.client.channelForwarding).toBeUndefined();
      // The sockets still work and a good route still installs.
      expect(r.fwd.setRoute(base)).toBe('ok');
      r.client.send(channelData(0x4000, 'still fine'), r.listener.local);
      await until(() => r.atPeer.got.length === 1);
      expect(r.atPeer.got[0]?.text).toBe('still fine');
      await r.listener.close();
      expect(r.fwd.setRoute(base)).toBe('closed');
    } finally {
      await r.close();
    }
  });
});
