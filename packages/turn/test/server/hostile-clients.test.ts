import { createTransactionId, decodeMessage, encodeMessage, nonce, readNonce, realm, username, type AttributeSpec } from '@natkit/stun';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passwordKey } from '../../src/auth/password-key.js';
import { createTurnServer, type TurnServer } from '../../src/index.js';
import { PasswordAlgorithm, requestedTransport, TurnAttributeType, TurnMethod } from '../../src/proto/index.js';
import type { ClientContext } from '../../src/server/client-transport.js';

/*
 * Hostile clients through the server's transport-agnostic entry (`handleClientData`), with the
 * server's relay sockets on the virtual network: an unauthenticated Allocate flood, and a seeded
 * fuzz of the decoder and request handler. TURN_FUZZ_RUNS raises the fuzz count (the benchmark's
 * long mode runs 1,000,000).
 */
const FUZZ_RUNS = Number(process.env.TURN_FUZZ_RUNS ?? 4000);
const REALM = 'fuzz.test';

function site(): { server: TurnServer; clock: ManualClock; local: { address: string; port: number } } {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 3 });
  const host = vnet.createHost(vnet.internet);
  const address = host.addresses[0] ?? '';
  const server = createTurnServer(
    { users: new Map([['alice', 'pw']]), realm: REALM, relayPorts: { low: 50000, high: 50063 }, allowPeers: ['203.0.113.0/24'] },
    { network: host.network, clock },
  );
  return { server, clock, local: { address, port: 3478 } };
}

function unauthenticatedAllocate(): Uint8Array {
  return encodeMessage({ method: TurnMethod.Allocate, class: 'request', transactionId: createTransactionId(), attributes: [requestedTransport(17)] });
}

describe('unauthenticated Allocate flood', () => {
  it('creates no allocation state, keeps the limiter and caches bounded, and caps 401s per source', async () => {
    const { server, local } = site();
    let replies = 0;
    let replyBytes = 0;
    const flood = (n: number, sources: number): void => {
      for (let i = 0; i < n; i++) {
        const s = i % sources;
        const ctx: ClientContext = {
          transport: 'udp',
          client: { address: `198.51.${(s >> 8) & 255}.${s & 255}`, port: 1024 + (i % 60_000) },
          local,
          reply: (b) => {
            replies++;
            replyBytes += b.length;
          },
        };
        server.handleClientData(unauthenticatedAllocate(), ctx);
      }
    };
    flood(10_000, 1); // one source: the bucket allows a burst of 16 (time does not advance)
    expect(replies).toBe(16);
    const request = unauthenticatedAllocate().length;
    expect(replyBytes / replies / request).toBeLessThan(4); // the 401 amplification factor
    flood(50_000, 16_384);
    const heapBefore = process.memoryUsage().heapUsed;
    flood(50_000, 16_384);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const stats = server.stats();
    expect(stats).toMatchObject({ allocations: 0, pendingAllocations: 0, reservations: 0, cachedResponses: 0 });
    expect(stats.limitedSources).toBeLessThanOrEqual(16_385);
    expect(replies).toBeLessThanOrEqual(16 + 16_384 * 16);
    expect(heapGrowth).toBeLessThan(64 << 20); // no per-request state: the second 50k leave the heap flat
    await server.close();
  }, 60_000);
});

const TURN_TYPES = [...Object.values(TurnAttributeType), 0x0006, 0x0008, 0x0014, 0x0015, 0x001c, 0x001d, 0x001e, 0x8002, 0x8028];

const attribute: fc.Arbitrary<AttributeSpec> = fc.record({
  type: fc.oneof(fc.constantFrom(...TURN_TYPES), fc.integer({ min: 0, max: 0xffff })),
  value: fc.uint8Array({ maxLength: 40 }),
});

describe('seeded fuzz of the decoder and request handler', () => {
  it('never throws, answers each input at most once, and every answer is a small STUN response', async () => {
    const { server, clock, local } = site();
    const sent: Uint8Array[] = [];
    const ctx: ClientContext = { transport: 'udp', client: { address: '203.0.113.77', port: 40000 }, local, reply: (b) => sent.push(b) };
    server.handleClientData(unauthenticatedAllocate(), ctx);
    const challenge = decodeMessage(sent[0] ?? new Uint8Array(0));
    const nonceText = challenge.ok ? (readNonce(challenge.value) ?? '') : '';
    const key = passwordKey(PasswordAlgorithm.Md5, 'alice', REALM, 'pw');
    const signed = fc
      .tuple(fc.constantFrom(0x003, 0x004, 0x006, 0x008, 0x009, 0x00a, 0x00b, 0x016), fc.constantFrom<'request' | 'indication' | 'success'>('request', 'indication', 'success'), fc.array(attribute, { maxLength: 8 }), fc.boolean())
      .map(([method, cls, attrs, sign]) =>
        encodeMessage(
          { method, class: cls, transactionId: createTransactionId(), attributes: sign ? [...attrs, username('alice'), realm(REALM), nonce(nonceText)] : attrs },
          sign ? { integrityKey: key } : {},
        ),
      );
    const mutated = fc.tuple(signed, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
      const copy = new Uint8Array(b);
      copy[at % copy.length] = v;
      return copy;
    });
    const raw = fc.uint8Array({ minLength: 1, maxLength: 120 });
    const channelData = fc.tuple(fc.integer({ min: 0x4000, max: 0x7fff }), fc.uint8Array({ maxLength: 60 }), fc.integer({ min: 0, max: 0xffff })).map(([ch, d, len]) => Uint8Array.of(ch >> 8, ch & 0xff, len >> 8, len & 0xff, ...d));
    const tcp: ClientContext = { ...ctx, transport: 'tcp', connectionId: 1 };
    let inputs = 0;
    fc.assert(
      fc.property(fc.oneof(signed, mutated, raw, channelData), fc.boolean(), (bytes, stream) => {
        inputs++;
        const before = sent.length;
        expect(() => server.handleClientData(bytes, stream ? tcp : ctx)).not.toThrow();
        expect(sent.length - before).toBeLessThanOrEqual(1);
      }),
      { seed: 8656, numRuns: FUZZ_RUNS },
    );
    await clock.advance(1000); // let asynchronous Allocates finish
    expect(sent.length).toBeLessThanOrEqual(inputs + 1);
    for (const b of sent) {
      expect(b.length).toBeLessThanOrEqual(548);
      const r = decodeMessage(b);
      expect(r.ok && (r.value.class === 'success' || r.value.class === 'error')).toBe(true);
    }
    expect(server.stats().allocations).toBeLessThanOrEqual(2); // one per 5-tuple (UDP, TCP) at most
    server.connectionClosed(tcp);
    await server.close();
  }, 120_000);
});
