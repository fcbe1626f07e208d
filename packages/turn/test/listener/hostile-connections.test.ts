import { connect } from 'node:net';
import { createNodeNetwork } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortMux } from '../../src/listener/port-mux.js';
import { createTurnStreamRoute } from '../../src/listener/turn-stream-route.js';
import { createTurnServer } from '../../src/server/turn-server.js';
import { RawTurnClient } from './raw-turn-client.js';

/*
 * Seeded hostile connections against the one TCP port with natkit's real TURN server behind it:
 * random first bytes (biased towards the STUN, ChannelData, TLS and HTTP first bytes), random
 * lengths, random cuts. Every connection ends (routed and refused, or timed out), nothing throws,
 * no allocation is made, and a real client is served afterwards.
 */
const net = createNodeNetwork();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** xorshift32: a small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const FIRST = [0x00, 0x01, 0x02, 0x03, 0x16, 0x40, 0x47, 0x4f, 0x50, 0x7f, 0x80, 0xff, 0x43, 0x48, 0x4f];

function hostileBytes(next: () => number): Uint8Array {
  const out = new Uint8Array(1 + Math.floor(next() * 200));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  out[0] = FIRST[Math.floor(next() * FIRST.length)] ?? 0;
  if (next() < 0.3 && out.length >= 8) out.set([0x21, 0x12, 0xa4, 0x42], 4); // a magic cookie: parse further
  return out;
}

function sendAndWaitForClose(port: number, bytes: Uint8Array, cut: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after 5 s: ${Buffer.from(bytes.subarray(0, 16)).toString('hex')}`));
    }, 5000);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(bytes.subarray(0, cut));
    setTimeout(() => socket.writable && socket.write(bytes.subarray(cut)), 5);
  });
}

describe('hostile connections on the one TCP port', () => {
  it('ends every connection, allocates nothing, and still serves a real client (seed 6)', async () => {
    const server = createTurnServer({ users: new Map([['alice', 'pw']]), allowPeers: ['127.0.0.1/32'], relayAddresses: ['127.0.0.1'] }, { network: net });
    cleanup.push(() => server.close());
    const route = createTurnStreamRoute(server, { allocateWithinMs: 400 });
    const mux = createPortMux({ turn: route }, { firstBytesTimeoutMs: 300, maxConnectionsPerAddress: 1000 });
    const listener = await net.listenTcp({ family: 4, address: '127.0.0.1' });
    cleanup.push(() => listener.close());
    mux.attach(listener);
    const next = random(6);
    const port = listener.local.port;
    for (let batch = 0; batch < 6; batch++) {
      const runs = Array.from({ length: 20 }, () => {
        const bytes = hostileBytes(next);
        return sendAndWaitForClose(port, bytes, Math.floor(next() * bytes.length));
      });
      await Promise.all(runs);
    }
    const stats = mux.stats();
    expect(stats.accepted).toBe(120);
    for (let i = 0; i < 200 && mux.stats().open > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(mux.stats().open).toBe(0);
    expect(server.stats().allocations).toBe(0);
    // Every way out was taken at least once: refused, timed out, bad TURN framing, no allocation.
    expect(stats.unknownProtocol).toBeGreaterThan(0);
    expect(stats.firstBytesTimeouts + stats.tlsFailures).toBeGreaterThan(0);
    expect(route.stats().badFraming + route.stats().noAllocation).toBeGreaterThan(0);

    const client = await RawTurnClient.open(port);
    cleanup.push(() => client.socket.destroy());
    expect((await client.allocate('alice', 'pw')).address).toBe('127.0.0.1');
  });
});
