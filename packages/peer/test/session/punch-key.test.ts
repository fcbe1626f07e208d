import { Identity } from '@natkit/identity';
import { describe, expect, it } from 'vitest';
import { establish } from './pair.js';

describe('Session.punchKey', () => {
  it('is the same 32 bytes on both ends, different from the handshake hash and from every other session', () => {
    const alice = Identity.generate();
    const bob = Identity.generate();
    const first = establish({ alice, bob });
    const [a, b] = [first.initiator, first.responder];
    expect(a.punchKey).toHaveLength(32);
    expect(Buffer.from(a.punchKey).equals(Buffer.from(b.punchKey))).toBe(true);
    expect(Buffer.from(a.punchKey).equals(Buffer.from(a.handshakeHash))).toBe(false);
    const again = establish({ alice, bob });
    expect(Buffer.from(again.initiator.punchKey).equals(Buffer.from(a.punchKey))).toBe(false);
  });
});
