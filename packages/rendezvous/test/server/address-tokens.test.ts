import { describe, expect, it } from 'vitest';
import { AddressTokens } from '../../src/server/address-tokens.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
const T1 = Buffer.alloc(16, 1).toString('base64url');
const T2 = Buffer.alloc(16, 2).toString('base64url');

describe('address tokens (pure state)', () => {
  it('a token comes back once, from its family, naming its peer, before it expires', () => {
    const tokens = new AddressTokens(10_000, 100);
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    expect(tokens.redeem(bytes(T1), 'peerA', 6, 9_999)).toEqual({ ok: true, sessionId: 's1' });
    expect(tokens.redeem(bytes(T1), 'peerA', 6, 9_999)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses an expired token, a token from the other family, and a token naming another peer (each used up)', () => {
    const tokens = new AddressTokens(10_000, 100);
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    expect(tokens.redeem(bytes(T1), 'peerA', 6, 10_000)).toEqual({ ok: false, reason: 'expired' });
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    expect(tokens.redeem(bytes(T1), 'peerA', 4, 1)).toEqual({ ok: false, reason: 'wrong-family' });
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    expect(tokens.redeem(bytes(T1), 'peerB', 6, 1)).toEqual({ ok: false, reason: 'wrong-peer' });
    expect(tokens.redeem(bytes(T1), 'peerA', 6, 1)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses a token it never issued, of any length', () => {
    const tokens = new AddressTokens(10_000, 100);
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    expect(tokens.redeem(bytes(T2), 'peerA', 6, 1)).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.redeem(new Uint8Array(3), 'peerA', 6, 1)).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.size).toBe(1);
  });

  it('one live token per session: a new one replaces it; a closed session revokes its own', () => {
    const tokens = new AddressTokens(10_000, 100);
    tokens.issue(T1, 's1', 'peerA', 6, 0);
    tokens.issue(T2, 's1', 'peerA', 6, 1);
    expect(tokens.size).toBe(1);
    expect(tokens.redeem(bytes(T1), 'peerA', 6, 2)).toEqual({ ok: false, reason: 'unknown' });
    tokens.revoke('s1');
    expect(tokens.redeem(bytes(T2), 'peerA', 6, 2)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('a proof binds its address once, from its session, for its family, before it expires', () => {
    const tokens = new AddressTokens(10_000, 100);
    const observed = { address: '2001:db8::5', port: 4000 };
    tokens.pend('s1', 6, observed, T1, 0);
    expect(tokens.confirm('s2', bytes(T1), 6, 1)).toEqual({ ok: false, reason: 'no-proof-pending' });
    expect(tokens.confirm('s1', bytes(T1), 6, 1)).toEqual({ ok: true, observed });
    expect(tokens.confirm('s1', bytes(T1), 6, 1)).toEqual({ ok: false, reason: 'no-proof-pending' });
    tokens.pend('s1', 6, observed, T1, 0);
    expect(tokens.confirm('s1', bytes(T2), 6, 1)).toEqual({ ok: false, reason: 'wrong-proof' });
    tokens.pend('s1', 6, observed, T1, 0);
    expect(tokens.confirm('s1', bytes(T1), 4, 1)).toEqual({ ok: false, reason: 'wrong-family' });
    tokens.pend('s1', 6, observed, T1, 0);
    expect(tokens.confirm('s1', bytes(T1), 6, 10_000)).toEqual({ ok: false, reason: 'expired' });
    tokens.pend('s1', 6, observed, T1, 0);
    tokens.revoke('s1');
    expect(tokens.confirm('s1', bytes(T1), 6, 1)).toEqual({ ok: false, reason: 'no-proof-pending' });
  });

  it('bounded: past maxTokens the oldest goes; expired ones are swept', () => {
    const tokens = new AddressTokens(1_000, 8);
    for (let i = 0; i < 50; i++) tokens.issue(Buffer.alloc(16, i).toString('base64url'), `s${i}`, `p${i}`, 6, i);
    expect(tokens.size).toBe(8);
    expect(tokens.redeem(new Uint8Array(Buffer.alloc(16, 0)), 'p0', 6, 50)).toEqual({ ok: false, reason: 'unknown' });
    expect(tokens.redeem(new Uint8Array(Buffer.alloc(16, 49)), 'p49', 6, 50)).toEqual({ ok: true, sessionId: 's49' });
    expect(tokens.sweep(5_000, 100)).toBe(7);
    expect(tokens.size).toBe(0);
  });
});
