import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_LENGTH, PeerError, REPLAY_WINDOW_SIZE, TRANSPORT_OVERHEAD } from '../../src/index.js';
import { establish } from './pair.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Session: transport', () => {
  it('round-trips any payload both ways, with 30 bytes of overhead', () => {
    const { initiator, responder } = establish();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (payload, forward) => {
      const [from, to] = forward ? [initiator, responder] : [responder, initiator];
      const packet = from.seal(payload, 0);
      expect(packet.length).toBe(payload.length + TRANSPORT_OVERHEAD);
      const opened = to.open(packet, 0);
      expect(opened.ok && Buffer.from(opened.payload).equals(payload)).toBe(true);
    }), { numRuns: 300 });
    expect(initiator.handshakeHash).toEqual(responder.handshakeHash);
  });

  it('ciphertext does not contain the plaintext, and equal payloads give different packets', () => {
    const { initiator } = establish();
    const secret = bytes('attack at dawn, attack at dawn, attack at dawn');
    const a = Buffer.from(initiator.seal(secret, 0));
    const b = Buffer.from(initiator.seal(secret, 0));
    expect(a.includes(Buffer.from('attack'))).toBe(false);
    expect(a.subarray(14).equals(b.subarray(14))).toBe(false);
  });

  it('drops any packet with one byte changed, and still accepts the original after', () => {
    const { initiator, responder } = establish();
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, xor) => {
      const packet = initiator.seal(payload, 0);
      const bad = Uint8Array.from(packet);
      bad[at % bad.length]! ^= xor;
      const r = responder.open(bad, 0);
      expect(r.ok).toBe(false);
      expect(responder.open(packet, 0).ok).toBe(true);
    }), { numRuns: 500 });
    // every tampered packet was dropped and counted (as auth, replay, wrong receiver, epoch...)
    expect(Object.values(responder.stats.dropped).reduce((a, b) => a + b, 0)).toBe(500);
    expect(responder.stats.received).toBe(500);
  });

  it('drops truncated, extended and random packets without throwing', () => {
    const { initiator, responder } = establish();
    const packet = initiator.seal(bytes('hello'), 0);
    for (let n = 0; n < packet.length; n++) expect(responder.open(packet.subarray(0, n), 0).ok).toBe(false);
    expect(responder.open(Buffer.concat([packet, Uint8Array.of(0)]), 0).ok).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
      expect(responder.open(junk, 0).ok).toBe(false);
    }), { numRuns: 500 });
    expect(responder.open(packet, 0).ok).toBe(true);
    expect(responder.stats.received).toBe(1);
  });

  it('drops every replay', () => {
    const { initiator, responder } = establish();
    const packets = Array.from({ length: 50 }, (_, i) => initiator.seal(bytes(`m${i}`), 0));
    for (const p of packets) expect(responder.open(p, 0).ok).toBe(true);
    for (const p of packets) expect(responder.open(p, 0)).toEqual({ ok: false, reason: 'replay' });
    expect(responder.stats.dropped.replay).toBe(50);
  });

  it('accepts any reordering within the window exactly once; older than the window is dropped', () => {
    fc.assert(fc.property(fc.shuffledSubarray(Array.from({ length: 300 }, (_, i) => i), { minLength: 300, maxLength: 300 }), (order) => {
      const { initiator, responder } = establish();
      const packets = order.map(() => initiator.seal(new Uint8Array(4), 0));
      for (const i of order) expect(responder.open(packets[i]!, 0).ok).toBe(true);
      for (const i of order.slice(0, 20)) expect(responder.open(packets[i]!, 0).ok).toBe(false);
    }), { numRuns: 20 });

    const { initiator, responder } = establish();
    const first = initiator.seal(bytes('old'), 0);
    const inWindow = [initiator.seal(bytes('x'), 0)];
    for (let i = 0; i < REPLAY_WINDOW_SIZE - 2; i++) inWindow.push(initiator.seal(bytes('x'), 0));
    const last = initiator.seal(bytes('new'), 0); // counter = REPLAY_WINDOW_SIZE
    expect(responder.open(last, 0).ok).toBe(true);
    expect(responder.open(first, 0)).toEqual({ ok: false, reason: 'too-old' });
    expect(responder.open(inWindow[0]!, 0).ok).toBe(true); // counter 1 = highest - 2047: still inside
  });

  it('a forged packet with a high counter does not move the window', () => {
    const { initiator, responder } = establish();
    const packet = initiator.seal(bytes('real'), 0);
    const forged = Uint8Array.from(packet);
    forged.set([0xff, 0xff, 0xff, 0x00], 6); // counter ~ 2^24
    expect(responder.open(forged, 0)).toEqual({ ok: false, reason: 'auth' });
    expect(responder.open(packet, 0).ok).toBe(true);
  });

  it('bounds message size: seal refuses, open drops', () => {
    const { initiator, responder } = establish({ session: { maxPayloadLength: 1200 } });
    expect(initiator.seal(new Uint8Array(1200), 0)).toHaveLength(1230);
    expect(() => initiator.seal(new Uint8Array(1201), 0)).toThrow(PeerError);
    const big = establish();
    const packet = big.initiator.seal(new Uint8Array(1201), 0);
    expect(responder.open(packet, 0).ok).toBe(false);
    expect(responder.stats.dropped['too-big']).toBe(1);
    expect(big.responder.open(packet, 0).ok).toBe(true);
    expect(() => big.initiator.seal(new Uint8Array(MAX_PAYLOAD_LENGTH + 1), 0)).toThrow(/over the limit/);
    expect(() => establish({ session: { maxPayloadLength: MAX_PAYLOAD_LENGTH + 1 } })).toThrow(PeerError);
  });
});

describe('Session: rekeying without a round trip', () => {
  it('rekeys after N messages; the receiver follows, old-epoch stragglers still open', () => {
    const { initiator, responder } = establish({ session: { rekeyAfterMessages: 10 } });
    const packets = Array.from({ length: 35 }, (_, i) => initiator.seal(bytes(`m${i}`), 0));
    expect(initiator.sendEpoch).toBe(3);
    expect(initiator.stats.sendRekeys).toBe(3);
    // deliver 0-9, then 10-19 but 9 late, then everything else
    const order = [...Array.from({ length: 9 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i + 10), 9, ...Array.from({ length: 15 }, (_, i) => i + 20)];
    for (const i of order) {
      const r = responder.open(packets[i]!, 0);
      expect(r.ok && new TextDecoder().decode(r.payload)).toBe(`m${i}`);
    }
    expect(responder.receiveEpoch).toBe(3);
    expect(responder.stats.receiveRekeys).toBe(3);
  });

  it('rekeys after T ms of `now`', () => {
    const { initiator, responder } = establish({ session: { rekeyAfterMs: 1000 } });
    expect(responder.open(initiator.seal(bytes('a'), 500), 500).ok).toBe(true);
    expect(initiator.sendEpoch).toBe(0);
    expect(responder.open(initiator.seal(bytes('b'), 1000), 1000).ok).toBe(true);
    expect(initiator.sendEpoch).toBe(1);
    expect(responder.open(initiator.seal(bytes('c'), 2500), 2500).ok).toBe(true);
    expect(initiator.sendEpoch).toBe(2);
    expect(responder.receiveEpoch).toBe(2);
  });

  it('catches up when whole epochs were lost, and an old key cannot open new packets', () => {
    const { initiator, responder } = establish({ session: { rekeyAfterMessages: 1 } });
    const first = initiator.seal(bytes('epoch 0'), 0);
    const lost = Array.from({ length: 40 }, () => initiator.seal(bytes('lost'), 0));
    const later = initiator.seal(bytes('epoch 41'), 0);
    expect(responder.open(first, 0).ok).toBe(true);
    const r = responder.open(later, 0);
    expect(r.ok && new TextDecoder().decode(r.payload)).toBe('epoch 41');
    expect(responder.receiveEpoch).toBe(41);
    expect(responder.open(lost[0]!, 0)).toEqual({ ok: false, reason: 'epoch' });
    expect(responder.open(lost[39]!, 0).ok).toBe(true); // epoch 40: the previous key is kept
  });

  it('an epoch more than 64 ahead cannot be reached (bounded work per packet)', () => {
    const { initiator, responder } = establish({ session: { rekeyAfterMessages: 1 } });
    for (let i = 0; i < 66; i++) initiator.seal(bytes('lost'), 0);
    expect(responder.open(initiator.seal(bytes('far'), 0), 0)).toEqual({ ok: false, reason: 'epoch' });
  });
});

describe('Session: key epochs past 255 (the wire byte wraps)', () => {
  it('300 rekeys in order, with one reordered pair at the wrap', () => {
    const { initiator, responder } = establish({ session: { rekeyAfterMessages: 1 } });
    const packets = Array.from({ length: 300 }, (_, i) => initiator.seal(bytes(`m${i}`), 0));
    const order = packets.map((_, i) => i);
    [order[256], order[257]] = [order[257]!, order[256]!];
    for (const i of order) {
      const r = responder.open(packets[i]!, 0);
      expect(r.ok && new TextDecoder().decode(r.payload), `message ${i}`).toBe(`m${i}`);
    }
    expect(responder.receiveEpoch).toBe(299);
  });
});

describe('Session: buffers that are views', () => {
  it('seals a payload that is a view and opens a packet inside a larger buffer (as from a pooled socket buffer)', () => {
    const { initiator, responder } = establish();
    const backing = new Uint8Array(64).map((_, i) => i);
    const payload = backing.subarray(5, 25);
    const packet = initiator.seal(payload, 0);
    const pool = new Uint8Array(packet.length + 11);
    pool.set(packet, 7);
    const r = responder.open(pool.subarray(7, 7 + packet.length), 0);
    expect(r.ok && Buffer.from(r.payload).equals(payload)).toBe(true);
  });
});
