import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidatesOf, newIdentity, portRestricted, RawClient, startServer } from '../fixtures.js';

/** Valid messages to mutate: the fuzzer starts near the protocol, where bugs hide. */
function seeds(peerId: string): Record<string, unknown>[] {
  return [
    { type: 'connect', requestId: 'r1', to: peerId },
    { type: 'update', nat: portRestricted, candidates: candidatesOf(1) },
    { type: 'ping', nonce: 'n1' },
    { type: 'pong', nonce: 'n1' },
    { type: 'register', peerId, challenge: 'A'.repeat(43), signature: 'B'.repeat(86), nat: portRestricted, candidates: [] },
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), index: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('add' as const), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }) }),
);

interface Mutation {
  readonly kind: 'drop' | 'set' | 'add';
  readonly index?: number;
  readonly key?: string;
  readonly value?: unknown;
}

function mutate(message: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const copy = { ...message };
  const keys = Object.keys(copy);
  const key = m.kind === 'add' ? (m.key ?? 'x') : keys[(m.index ?? 0) % keys.length]!;
  if (m.kind === 'drop') delete copy[key];
  else copy[key] = m.value;
  return copy;
}

describe('a registered session under seeded fuzzing', () => {
  it('answers every mutated message with an error or a valid message, and keeps serving', async () => {
    const server = await startServer({ limits: { messagesPerConnection: { burst: 1e6, perSecond: 1e6 } } });
    const alice = newIdentity();
    const raw = await RawClient.open(server.url);
    await raw.register(alice);
    const samples = fc.sample(fc.tuple(fc.nat(), mutation), { numRuns: 400, seed: 42 });
    const base = seeds(newIdentity().peerId);
    for (const [pick, m] of samples) raw.send(mutate(base[pick % base.length]!, m));
    raw.send({ type: 'ping', nonce: 'still-there' });
    // RawClient throws on any server message that fails the server schema; the last pong proves
    // the connection survived and everything before it was read.
    for (;;) {
      const pong = await raw.next('pong', 10_000);
      if (pong.nonce === 'still-there') break;
    }
    expect(raw.closeCode).toBeNull();
    const refused = Object.values(server.stats().refused).reduce((a, b) => a + b, 0);
    expect(refused).toBeGreaterThan(100);
  });
});
