import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttributeType,
  changeRequest,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  padding,
  responsePort,
  software,
  StunMethod,
} from '../../src/index.js';
import { BindingResponder } from '../../src/server/binding-response.js';
import { handleBindingRequest, type HandlerConfig } from '../../src/server/handle-binding-request.js';

// The pure request handler of the full RFC 5780 server, as createStunServer builds it.
const sockets = [
  { address: '203.0.113.1', port: 3478 },
  { address: '203.0.113.1', port: 3479 },
  { address: '203.0.113.2', port: 3478 },
  { address: '203.0.113.2', port: 3479 },
];
const cfg: HandlerConfig = {
  mode: 'full',
  responders: sockets.map((_, received) => sockets.map((origin) => new BindingResponder(4, { origin, other: sockets[received ^ 3], changed: sockets[received ^ 3] }, undefined))),
  known: new Set(Object.values(AttributeType).filter((t) => t < 0x8000)),
  maxPadding: 4096,
  software: undefined,
  maxAttributes: 32,
};
const from = { address: '198.51.100.9', port: 40000 };

/** Valid Binding requests with any mix of the attributes the server interprets. */
const validRequest = fc
  .record({
    change: fc.option(fc.record({ changeIp: fc.boolean(), changePort: fc.boolean() })),
    port: fc.option(fc.integer({ min: 0, max: 65535 })),
    pad: fc.option(fc.integer({ min: 0, max: 1200 })),
    unknown: fc.option(fc.integer({ min: 0x0030, max: 0x7fff })),
    fingerprint: fc.boolean(),
    seed: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  })
  .map((r) =>
    encodeMessage(
      {
        method: StunMethod.Binding,
        class: 'request',
        transactionId: createTransactionId(() => r.seed),
        attributes: [
          ...(r.change === null ? [] : [changeRequest(r.change)]),
          ...(r.port === null ? [] : [responsePort(r.port)]),
          ...(r.pad === null ? [] : [padding(r.pad)]),
          ...(r.unknown === null ? [] : [{ type: r.unknown, value: new Uint8Array(4) }]),
          software('fuzz'),
        ],
      },
      { fingerprint: r.fingerprint },
    ),
  );

/** A valid request with some bytes overwritten. */
const mutated = fc
  .tuple(validRequest, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }))
  .map(([bytes, edits]) => {
    const copy = bytes.slice();
    for (const [at, value] of edits) copy[at % copy.length] = value;
    return copy;
  });

function check(bytes: Uint8Array, receivedOn: number): void {
  const out = handleBindingRequest(cfg, bytes, from, receivedOn);
  if (out.kind !== 'respond') return;
  // Never an amplifier: the answer is at most a small fixed size larger than the request.
  expect(out.bytes.length).toBeLessThanOrEqual(bytes.length + 160);
  expect(out.via).toBeGreaterThanOrEqual(0);
  expect(out.via).toBeLessThan(4);
  expect(decodeMessage(out.bytes).ok).toBe(true);
}

describe('handleBindingRequest on hostile input (seeded, replayable)', () => {
  it('valid requests of every shape get a decodable answer from a real socket, never an amplifier', () => {
    fc.assert(fc.property(validRequest, fc.integer({ min: 0, max: 3 }), (b, on) => check(b, on)), { seed: 5780, numRuns: 2000 });
  });
  it('mutated requests never throw', () => {
    fc.assert(fc.property(mutated, fc.integer({ min: 0, max: 3 }), (b, on) => check(b, on)), { seed: 8489, numRuns: 4000 });
  });
  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 3 }), (b, on) => check(b, on)), { seed: 3489, numRuns: 4000 });
  });
  it('an unknown comprehension-required attribute gets 420 listing it', () => {
    const bytes = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: new Uint8Array(12), attributes: [{ type: 0x7ff0, value: new Uint8Array(4) }] });
    const out = handleBindingRequest(cfg, bytes, from, 0);
    expect(out).toMatchObject({ kind: 'respond', errorCode: 420 });
  });
});
