import { describe, expect, it } from 'vitest';
import { Allocation } from '../../src/allocation/allocation.js';
import { AllocationTable } from '../../src/allocation/allocation-table.js';
import { fiveTupleKey, type FiveTuple } from '../../src/allocation/five-tuple.js';
import { grantLifetime } from '../../src/allocation/lifetimes.js';
import { Reservations } from '../../src/allocation/reservations.js';
import { ResponseCache } from '../../src/allocation/response-cache.js';

const tuple = (port: number): FiveTuple => ({ transport: 'udp', client: { address: '192.0.2.1', port }, local: { address: '198.51.100.1', port: 3478 } });
const limits = { maxPermissions: 3, maxChannels: 2 };
const peer = (address: string, port = 5000): { address: string; port: number } => ({ address, port });

function allocation(now = 0): Allocation<string> {
  const t = tuple(1000);
  return new Allocation(t, fiveTupleKey(t), 'alice', new Map([[4, { relayed: peer('198.51.100.1', 50000), handle: 'sock' }]]), now + 600_000, false, limits);
}

describe('lifetimes (RFC 8656 §7.2)', () => {
  it.each([
    [undefined, 600],
    [30, 600],
    [1200, 1200],
    [99999, 3600],
  ])('requested %s -> %s', (req, granted) => expect(grantLifetime(req, 3600, false)).toBe(granted));
  it('0 deletes only on Refresh', () => {
    expect(grantLifetime(0, 3600, true)).toBe(0);
    expect(grantLifetime(0, 3600, false)).toBe(600);
  });
});

describe('permissions (RFC 8656 §9)', () => {
  it('are per IP, last 300 s and are not refreshed by looking at them', () => {
    const a = allocation();
    expect(a.installPermissions(['203.0.113.7'], 0)).toBe(true);
    expect(a.hasPermission('203.0.113.7', 299_999)).toBe(true);
    expect(a.hasPermission('::ffff:203.0.113.7', 1000)).toBe(true);
    expect(a.hasPermission('203.0.113.7', 300_000)).toBe(false);
    expect(a.hasPermission('203.0.113.8', 0)).toBe(false);
  });

  it('are all-or-nothing under the per-allocation cap', () => {
    const a = allocation();
    expect(a.installPermissions(['203.0.113.1', '203.0.113.2'], 0)).toBe(true);
    expect(a.installPermissions(['203.0.113.3', '203.0.113.4'], 0)).toBe(false);
    expect(a.hasPermission('203.0.113.3', 0)).toBe(false);
    expect(a.installPermissions(['203.0.113.1', '203.0.113.3'], 0)).toBe(true);
    a.sweep(400_000);
    expect(a.livePermissions(400_000)).toBe(0);
    expect(a.installPermissions(['203.0.113.5', '203.0.113.6', '203.0.113.7'], 400_000)).toBe(true);
  });
});

describe('channel bindings (RFC 8656 §12)', () => {
  it('bind, refresh, and install the permission', () => {
    const a = allocation();
    expect(a.bind(0x4000, peer('203.0.113.7'), 0)).toEqual({ ok: true });
    expect(a.hasPermission('203.0.113.7', 1)).toBe(true);
    expect(a.bindingOf(0x4000, 1)?.peer).toEqual(peer('203.0.113.7'));
    expect(a.bindingTo(peer('203.0.113.7'), 1)?.channel).toBe(0x4000);
    expect(a.bind(0x4000, peer('203.0.113.7'), 500_000)).toEqual({ ok: true });
    expect(a.bindingOf(0x4000, 1_000_000)).toBeDefined();
  });

  it('400 for a channel bound to another peer and for a peer bound to another channel (turnutils_uclient -N)', () => {
    const a = allocation();
    a.bind(0x4000, peer('203.0.113.7'), 0);
    expect(a.bind(0x4000, peer('203.0.113.8'), 1)).toMatchObject({ ok: false, code: 400 });
    expect(a.bind(0x4001, peer('203.0.113.7'), 1)).toMatchObject({ ok: false, code: 400 });
    expect(a.bind(0x4001, peer('203.0.113.7', 5001), 1)).toEqual({ ok: true });
  });

  it('an expired binding cools down 5 minutes: same pair may rebind, others may not', () => {
    const a = allocation();
    a.bind(0x4000, peer('203.0.113.7'), 0);
    a.sweep(600_000);
    expect(a.bindingOf(0x4000, 600_000)).toBeUndefined();
    expect(a.checkBind(0x4000, peer('203.0.113.8'), 700_000)).toMatchObject({ ok: false, code: 400 });
    expect(a.checkBind(0x4002, peer('203.0.113.7'), 700_000)).toMatchObject({ ok: false, code: 400 });
    expect(a.checkBind(0x4000, peer('203.0.113.7'), 700_000)).toEqual({ ok: true });
    a.sweep(900_001);
    expect(a.checkBind(0x4000, peer('203.0.113.8'), 900_001)).toEqual({ ok: true });
  });

  it('508 beyond the channel cap', () => {
    const a = allocation();
    a.bind(0x4000, peer('203.0.113.1'), 0);
    a.bind(0x4001, peer('203.0.113.2'), 0);
    expect(a.bind(0x4002, peer('203.0.113.3'), 0)).toMatchObject({ ok: false, code: 508 });
  });
});

describe('AllocationTable quotas', () => {
  it('437 for a 5-tuple in use, 486 per user, 508 in total; deletes free the quota', () => {
    const table = new AllocationTable<string>({ ...limits, maxAllocationsPerUser: 2, maxAllocations: 3 });
    expect(table.reserve('t1', 'alice')).toEqual({ ok: true });
    expect(table.reserve('t1', 'alice')).toMatchObject({ code: 437 });
    expect(table.reserve('t2', 'alice')).toEqual({ ok: true });
    expect(table.reserve('t3', 'alice')).toMatchObject({ code: 486 });
    expect(table.reserve('t3', 'bob')).toEqual({ ok: true });
    expect(table.reserve('t4', 'carol')).toMatchObject({ code: 508 });
    table.release('t3');
    expect(table.reserve('t4', 'carol')).toEqual({ ok: true });
    expect(table.allocationsOf('alice')).toBe(2);
  });

  it('REST names count against their user part: new credentials do not buy more allocations', () => {
    const table = new AllocationTable<string>({ ...limits, maxAllocationsPerUser: 1, maxAllocations: 10 });
    expect(table.reserve('t1', '1700000000:peer-1')).toEqual({ ok: true });
    expect(table.reserve('t2', '1700000060:peer-1')).toMatchObject({ code: 486 });
    expect(table.reserve('t2', '1700000060:peer-2')).toEqual({ ok: true });
    table.release('t1');
    expect(table.allocationsOf('peer-1')).toBe(0);
  });

  it('expire() removes allocations past their lifetime', () => {
    const table = new AllocationTable<string>({ ...limits, maxAllocationsPerUser: 5, maxAllocations: 5 });
    const a = allocation();
    expect(table.reserve(a.key, 'alice').ok).toBe(true);
    table.add(a);
    expect(table.expire(599_999)).toEqual([]);
    expect(table.expire(600_000)).toEqual([a]);
    expect(table.size).toBe(0);
    expect(table.allocationsOf('alice')).toBe(0);
  });
});

describe('ResponseCache and Reservations are bounded', () => {
  it('cache evicts the oldest and forgets after its ttl', () => {
    const c = new ResponseCache(2, 40_000);
    c.set('a', Uint8Array.of(1), 0);
    c.set('b', Uint8Array.of(2), 0);
    c.set('c', Uint8Array.of(3), 0);
    expect(c.get('a', 0)).toBeUndefined();
    expect(c.get('b', 39_999)).toEqual(Uint8Array.of(2));
    expect(c.get('c', 40_000)).toBeUndefined();
  });

  it('reservations expire after 30 s and cap their count', () => {
    const r = new Reservations<string>(1);
    const token = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(r.hold(token, 'sock', 0)).toBe(true);
    expect(r.hold(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9), 'other', 0)).toBe(false);
    expect(r.take(token, 30_000)).toBeUndefined();
    expect(r.expire(30_000)).toEqual(['sock']);
    r.hold(token, 'sock2', 0);
    expect(r.take(token, 1)).toBe('sock2');
  });
});
