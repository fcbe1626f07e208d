import { describe, expect, it } from 'vitest';
import type { FamilyProfile } from '@natkit/rendezvous';
import { checkIntervalMs, ConsentFreshness, keepaliveIntervalMs, mappingLifetimeOf, resolveConnectionTiming } from '../../src/index.js';
import { rebindWaitMs, relayCheckAfterMs, switchHoldMs } from '../../src/connection/connection-timing.js';

const family = (mappingLifetimeSeconds: number | null): FamilyProfile => ({
  udp: true, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: { pattern: 'preserving', step: null }, hairpinning: null, mappingLifetimeSeconds,
});

describe('connection timing: keepalive from the mapping lifetime', () => {
  it('keeps alive at half the measured lifetime, between 1 s and 25 s; 25 s when unknown', () => {
    expect(keepaliveIntervalMs(null)).toBe(25_000);
    expect(keepaliveIntervalMs(undefined)).toBe(25_000);
    expect(keepaliveIntervalMs(0)).toBe(25_000);
    expect(keepaliveIntervalMs(Number.NaN)).toBe(25_000);
    expect(keepaliveIntervalMs(-5)).toBe(25_000);
    expect(keepaliveIntervalMs(1)).toBe(1_000);
    expect(keepaliveIntervalMs(10)).toBe(5_000);
    expect(keepaliveIntervalMs(30)).toBe(15_000);
    expect(keepaliveIntervalMs(120)).toBe(25_000);
    expect(keepaliveIntervalMs(86_400)).toBe(25_000);
  });

  it('takes the lifetime from the NAT profile: the shorter measured family, null when none was measured', () => {
    expect(mappingLifetimeOf({ ipv4: null, ipv6: null })).toBeNull();
    expect(mappingLifetimeOf({ ipv4: family(null), ipv6: null })).toBeNull();
    expect(mappingLifetimeOf({ ipv4: family(0), ipv6: null })).toBeNull();
    expect(mappingLifetimeOf({ ipv4: family(62), ipv6: null })).toBe(62);
    expect(mappingLifetimeOf({ ipv4: family(62), ipv6: family(31) })).toBe(31);
    expect(keepaliveIntervalMs(mappingLifetimeOf({ ipv4: family(20), ipv6: null }))).toBe(10_000);
  });

  it('resolves options with defaults, an explicit keepalive winning over the lifetime, and bad values ignored', () => {
    expect(resolveConnectionTiming({})).toEqual({ keepaliveMs: 25_000, directTimeoutMs: 30_000, reprobeMs: 30_000, maxReprobeMs: 300_000, idleTimeoutMs: 30_000 });
    expect(resolveConnectionTiming({ mappingLifetimeSeconds: 10 }).keepaliveMs).toBe(5_000);
    expect(resolveConnectionTiming({ mappingLifetimeSeconds: 10, keepaliveMs: 700 }).keepaliveMs).toBe(700);
    expect(resolveConnectionTiming({ keepaliveMs: -1, directTimeoutMs: Number.POSITIVE_INFINITY }).keepaliveMs).toBe(25_000);
    expect(resolveConnectionTiming({ directTimeoutMs: Number.POSITIVE_INFINITY }).directTimeoutMs).toBe(30_000);
    expect(resolveConnectionTiming({ reprobeMs: 1000, maxReprobeMs: 10 }).maxReprobeMs).toBe(1000);
  });

  it('checks paths at the keepalive interval, or six times per consent timeout when that is shorter', () => {
    expect(checkIntervalMs(resolveConnectionTiming({}))).toBe(5_000);
    expect(checkIntervalMs(resolveConnectionTiming({ mappingLifetimeSeconds: 4 }))).toBe(2_000);
    expect(checkIntervalMs(resolveConnectionTiming({ directTimeoutMs: 600_000, idleTimeoutMs: 600_000 }))).toBe(25_000);
    expect(checkIntervalMs(resolveConnectionTiming({ directTimeoutMs: 60, idleTimeoutMs: 60 }))).toBe(50);
  });
});

describe('connection timing: when a silent relayed connection has its allocation checked', () => {
  it('after half a check interval of silence (2.5 s by default), never below 1 s', () => {
    expect(relayCheckAfterMs(resolveConnectionTiming({}))).toBe(2_500);
    expect(relayCheckAfterMs(resolveConnectionTiming({ mappingLifetimeSeconds: 30 }))).toBe(2_500);
    expect(relayCheckAfterMs(resolveConnectionTiming({ idleTimeoutMs: 60_000, directTimeoutMs: 60_000 }))).toBe(5_000);
    expect(relayCheckAfterMs(resolveConnectionTiming({ keepaliveMs: 300 }))).toBe(1_000);
    // Always well inside the connection's idle timeout: time left to allocate again.
    const t = resolveConnectionTiming({});
    expect(relayCheckAfterMs(t)).toBeLessThan(t.idleTimeoutMs / 6);
  });
});

describe('connection timing: moving data between paths', () => {
  it('after an upgrade, data keeps taking the relay for twice its RTT, 10 to 250 ms (250 ms when unknown)', () => {
    const table: [number | null, number][] = [[null, 250], [0, 10], [3, 10], [40, 80], [125, 250], [900, 250]];
    for (const [rtt, hold] of table) expect(switchHoldMs(rtt)).toBe(hold);
  });

  it('moves to another address of the peer after four RTTs of silence on the one in use, 200 ms to 1 s', () => {
    const table: [number, number][] = [[0, 200], [20, 200], [100, 400], [250, 1000], [5000, 1000]];
    for (const [rtt, wait] of table) expect(rebindWaitMs(rtt)).toBe(wait);
  });
});

describe('consent freshness (pure, clock as argument)', () => {
  const timing = resolveConnectionTiming({ directTimeoutMs: 30_000, idleTimeoutMs: 40_000, reprobeMs: 5_000, maxReprobeMs: 60_000 });

  it('declares the direct path dead after 30 s without an answer on it, and the connection lost after the idle bound without any', () => {
    const c = new ConsentFreshness(timing, 0);
    expect(c.check(39_999)).toEqual({ kind: 'fresh' });
    expect(c.check(40_000)).toEqual({ kind: 'expired', silentMs: 40_000 });
    c.directUp(1_000);
    expect(c.lastDirectAnswer).toBe(1_000);
    c.answered(20_000, false); // the relay answers; the direct path does not
    expect(c.check(30_999)).toEqual({ kind: 'fresh' });
    expect(c.check(31_000)).toEqual({ kind: 'direct-dead', silentMs: 30_000 });
    c.answered(25_000, true);
    expect(c.check(31_000)).toEqual({ kind: 'fresh' });
    c.directDown();
    expect(c.lastDirectAnswer).toBeNull();
    expect(c.check(59_999)).toEqual({ kind: 'fresh' });
    expect(c.check(65_000)).toEqual({ kind: 'expired', silentMs: 40_000 });
    expect(c.silentMs(65_000)).toBe(40_000);
  });

  it('an answer on the relay never refreshes the direct path, and an old answer never moves time back', () => {
    const c = new ConsentFreshness(timing, 0);
    c.directUp(0);
    c.answered(29_000, false);
    c.answered(10_000, true);
    c.answered(5_000, true);
    expect(c.lastDirectAnswer).toBe(10_000);
    expect(c.check(40_000)).toEqual({ kind: 'direct-dead', silentMs: 30_000 });
  });

  it('backs re-probes off: doubling from reprobeMs up to maxReprobeMs, back to the start when a direct path comes up', () => {
    const c = new ConsentFreshness(timing, 0);
    expect(Array.from({ length: 7 }, () => c.nextReprobeDelay())).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    c.directUp(1);
    expect(c.nextReprobeDelay()).toBe(5_000);
    for (let i = 0; i < 2000; i++) c.nextReprobeDelay();
    expect(c.nextReprobeDelay()).toBe(60_000); // no overflow after many failures
  });
});
