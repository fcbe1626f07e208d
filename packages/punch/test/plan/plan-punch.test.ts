import { describe, expect, it } from 'vitest';
import {
  birthdaySuccessProbability,
  expandSchedule,
  planPunch,
  scheduledCount,
  type Candidate,
  type NatProfile,
  type PeerDescription,
  type PunchStrategy,
} from '../../src/index.js';
import { ALL_NATS } from '../engine/behaviors.js';
import { profileOf } from '../engine/vnet-pair.js';

type Cls = 'open' | 'apdf' | 'pred' | 'rand';
/** The research note's §2.2 table, as this package resolves it (rows: A, columns: B). */
const TABLE: Record<Cls, Record<Cls, PunchStrategy>> = {
  open: { open: 'simultaneous-open', apdf: 'simultaneous-open', pred: 'simultaneous-open', rand: 'simultaneous-open' },
  apdf: { open: 'simultaneous-open', apdf: 'simultaneous-open', pred: 'port-prediction', rand: 'birthday' },
  pred: { open: 'simultaneous-open', apdf: 'port-prediction', pred: 'port-prediction', rand: 'relay' },
  rand: { open: 'simultaneous-open', apdf: 'birthday', pred: 'relay', rand: 'relay' },
};

function cls(p: NatProfile): Cls {
  if (p.mapping === 'endpoint-independent') return p.filtering === 'address-and-port-dependent' ? 'apdf' : 'open';
  return p.allocation === 'random' ? 'rand' : 'pred';
}

function peer(profile: NatProfile, publicAddress: string, port: number): PeerDescription {
  const candidates: Candidate[] = [
    { type: 'host', address: '10.0.0.2', port: 4000, family: 4 },
    { type: 'srflx', address: publicAddress, port, family: 4, verified: true },
  ];
  return { profiles: [profile], candidates };
}

/** The most sends in any window of 1,000 ms (times sorted). */
function maxPerSecond(times: readonly number[]): number {
  let most = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[i]! - times[from]! >= 1000) from++;
    most = Math.max(most, i - from + 1);
  }
  return most;
}

describe('planPunch over every pair of RFC 4787 behaviors', () => {
  const pairs = ALL_NATS.flatMap((a) => ALL_NATS.map((b) => [a, b] as const));

  it(`covers ${pairs.length} ordered pairs with the table's strategy, mirrored on both sides`, () => {
    for (const [a, b] of pairs) {
      const pa = profileOf(a.nat);
      const pb = profileOf(b.nat);
      const A = peer(pa, '198.51.100.1', 40000);
      const B = peer(pb, '198.51.100.2', 50000);
      const planA = planPunch(A, B);
      const planB = planPunch(B, A);
      const want = TABLE[cls(pa)][cls(pb)];
      expect(planA.strategy, `${a.name} -> ${b.name}: ${planA.reason}`).toBe(want);
      expect(planB.strategy).toBe(want);
      expect(planA.successProbability).toBe(planB.successProbability);
      expect(planA.reason.length).toBeGreaterThan(10);
      if (want === 'relay') {
        expect(planA.send.targets).toEqual([]);
        expect(planA.successProbability).toBe(0);
        continue;
      }
      // Only the peer's verified address (its host candidate is not: different NATs), and the bounds hold.
      expect(planA.allowedAddresses).toEqual(['198.51.100.2']);
      for (const t of planA.send.targets) expect(planA.allowedAddresses).toContain(t.address);
      for (const plan of [planA, planB]) {
        expect(scheduledCount(plan.send)).toBeLessThanOrEqual(plan.limits.maxProbes);
        expect(plan.send.extraSockets).toBeLessThanOrEqual(plan.limits.maxSockets);
        expect(plan.durationMs).toBeLessThanOrEqual(plan.limits.maxDurationMs);
        const sends = [...expandSchedule(plan.send)];
        const last = sends.at(-1);
        expect(last === undefined || last.atMs <= plan.durationMs).toBe(true);
        expect(maxPerSecond(sends.map((x) => x.atMs))).toBeLessThanOrEqual(plan.limits.maxRatePps);
      }
    }
  });

  it('port prediction sprays the window in step order from the verified port', () => {
    const eim = profileOf({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
    const seq = profileOf({ mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent', portAllocation: 'sequential', delta: 256 });
    const plan = planPunch(peer(eim, '198.51.100.1', 40000), peer(seq, '198.51.100.2', 65000), { limits: { predictionWindow: 4 } });
    // 65000 + 256 wraps into 1024-65535 as the allocator does.
    expect(plan.send.targets.map((t) => t.port)).toEqual([65256, 65512, 65768 - 64512, 66024 - 64512]);
    const other = planPunch(peer(seq, '198.51.100.2', 65000), peer(eim, '198.51.100.1', 40000));
    expect(other.send.targets).toEqual([{ address: '198.51.100.1', port: 40000 }]);
  });

  it('birthday: 256 sockets on the random side, distinct paced probes from the other, sized to the target', () => {
    const eim = profileOf({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
    const rnd = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'random' });
    const prober = planPunch(peer(eim, '198.51.100.1', 40000), peer(rnd, '198.51.100.2', 50000), { seed: 9 });
    const sockets = planPunch(peer(rnd, '198.51.100.2', 50000), peer(eim, '198.51.100.1', 40000), { seed: 9 });
    expect(sockets.send.extraSockets).toBe(256);
    expect(sockets.send.targets).toEqual([{ address: '198.51.100.1', port: 40000 }]);
    const ports = prober.send.targets.map((t) => t.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(prober.send.targets.every((t) => t.address === '198.51.100.2')).toBe(true);
    expect(prober.successProbability).toBeGreaterThanOrEqual(0.99);
    expect(prober.successProbability).toBeCloseTo(birthdaySuccessProbability(257, ports.length, 64512), 12);
    expect(prober.send.intervalMs).toBe(10); // 100 pps
    // A tight budget shrinks the attempt and says so in the probability.
    const small = planPunch(peer(eim, '198.51.100.1', 40000), peer(rnd, '198.51.100.2', 50000), { limits: { maxDurationMs: 4_000 } });
    expect(small.send.targets.length).toBe(200);
    expect(small.successProbability).toBeCloseTo(birthdaySuccessProbability(257, 200, 64512), 12);
  });

  it('prefers IPv6 when both sides have it, and uses host candidates behind one NAT', () => {
    const v6: NatProfile = { family: 6, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving', delta: null, hairpinning: null };
    const sym = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'random' });
    const a: PeerDescription = { profiles: [sym, v6], candidates: [...peer(sym, '198.51.100.1', 1).candidates, { type: 'srflx', address: '2001:db8::1', port: 5, family: 6, verified: true }] };
    const b: PeerDescription = { profiles: [sym, { ...v6 }], candidates: [...peer(sym, '198.51.100.2', 2).candidates, { type: 'srflx', address: '2001:db8::2', port: 6, family: 6, verified: true }] };
    const plan = planPunch(a, b);
    expect(plan.family).toBe(6);
    expect(plan.strategy).toBe('simultaneous-open');
    expect(plan.send.targets).toEqual([{ address: '2001:db8::2', port: 6 }]);
    const same = planPunch(peer(sym, '198.51.100.1', 1), { profiles: [sym], candidates: [{ type: 'host', address: '10.0.0.3', port: 7, family: 4 }, { type: 'srflx', address: '198.51.100.1', port: 9, family: 4, verified: true }] });
    expect(same.strategy).toBe('same-nat');
    expect(same.send.targets).toEqual([{ address: '10.0.0.3', port: 7 }]);
    expect(same.allowedAddresses).toEqual(['198.51.100.1', '10.0.0.3']);
  });

  describe('dual stack: IPv6 preferred, IPv4 the fallback, then the relay', () => {
    const fw6: NatProfile = { family: 6, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving', delta: null, hairpinning: null };
    const pr4 = profileOf({ mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' });
    const rnd4 = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'random' });
    const dual = (v4: NatProfile, ip4: string, ip6: string, verified6 = true): PeerDescription => ({
      profiles: [v4, fw6],
      candidates: [...peer(v4, ip4, 40000).candidates, { type: 'host', address: ip6, port: 41000, family: 6 }, { type: 'srflx', address: ip6, port: 41000, family: 6, verified: verified6 }],
    });
    const rows: { name: string; a: PeerDescription; b: PeerDescription; family: 4 | 6 | null; strategy: PunchStrategy; fallback: { family: 4; strategy: PunchStrategy } | null }[] = [
      { name: 'both dual stack behind IPv4 NATs', a: dual(pr4, '198.51.100.1', '2001:db8:1::2'), b: dual(pr4, '198.51.100.2', '2001:db8:2::2'), family: 6, strategy: 'simultaneous-open', fallback: { family: 4, strategy: 'simultaneous-open' } },
      { name: 'IPv4 has no strategy (random<->random): IPv6 alone', a: dual(rnd4, '198.51.100.1', '2001:db8:1::2'), b: dual(rnd4, '198.51.100.2', '2001:db8:2::2'), family: 6, strategy: 'simultaneous-open', fallback: null },
      { name: 'one side IPv4-only: IPv4 as before', a: dual(pr4, '198.51.100.1', '2001:db8:1::2'), b: peer(pr4, '198.51.100.2', 50000), family: 4, strategy: 'simultaneous-open', fallback: null },
      { name: "the peer's IPv6 address not verified: IPv4", a: dual(pr4, '198.51.100.1', '2001:db8:1::2'), b: dual(pr4, '198.51.100.2', '2001:db8:2::2', false), family: 4, strategy: 'simultaneous-open', fallback: null },
      { name: 'IPv6 not verified and IPv4 random<->random: relay, saying why for each family', a: dual(rnd4, '198.51.100.1', '2001:db8:1::2'), b: dual(rnd4, '198.51.100.2', '2001:db8:2::2', false), family: null, strategy: 'relay', fallback: null },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const plan = planPunch(row.a, row.b);
        const mirror = planPunch(row.b, row.a);
        expect({ family: plan.family, strategy: plan.strategy }, plan.reason).toEqual({ family: row.family, strategy: row.strategy });
        expect({ family: mirror.family, strategy: mirror.strategy }).toEqual({ family: row.family, strategy: row.strategy });
        expect(plan.fallback === undefined ? null : { family: plan.fallback.family, strategy: plan.fallback.strategy }).toEqual(row.fallback);
        expect(plan.durationMs).toBe(mirror.durationMs);
        // Every destination is an address the peer's verified candidates name, of the plan's family.
        for (const p of [plan, ...(plan.fallback === undefined ? [] : [plan.fallback])]) {
          for (const t of p.send.targets) expect(p.allowedAddresses).toContain(t.address);
          expect(p.send.targets.every((t) => t.address.includes(':') === (p.family === 6))).toBe(true);
        }
      });
    }

    it('the preferred IPv6 attempt is cut to 2 s when IPv4 can follow; alone it keeps the full 5 s', () => {
      const withFallback = planPunch(dual(pr4, '198.51.100.1', '2001:db8:1::2'), dual(pr4, '198.51.100.2', '2001:db8:2::2'));
      expect(withFallback.durationMs).toBe(2_000);
      expect(withFallback.fallback?.durationMs).toBe(5_000);
      expect(withFallback.send.targets).toEqual([{ address: '2001:db8:2::2', port: 41000 }]);
      const alone = planPunch(dual(rnd4, '198.51.100.1', '2001:db8:1::2'), dual(rnd4, '198.51.100.2', '2001:db8:2::2'));
      expect(alone.durationMs).toBe(5_000);
      expect(planPunch(dual(rnd4, '198.51.100.1', '2001:db8:1::2'), dual(rnd4, '198.51.100.2', '2001:db8:2::2', false)).reason).toMatch(/random ports/);
      const rnd6: NatProfile = { ...fw6, mapping: 'address-and-port-dependent', allocation: 'random' };
      const hard = (ip4: string, ip6: string): PeerDescription => ({ ...dual(rnd4, ip4, ip6), profiles: [rnd4, rnd6] });
      expect(planPunch(hard('198.51.100.1', '2001:db8:1::2'), hard('198.51.100.2', '2001:db8:2::2')).reason).toMatch(/^IPv6: .*random ports.*; IPv4: .*random ports/);
    });
  });

  it('sends only to verified addresses: an unverified srflx means the relay, an unverified host elsewhere is not allowed', () => {
    const open = profileOf({ mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
    const me = peer(open, '198.51.100.1', 1);
    const claimed: PeerDescription = { profiles: [open], candidates: [{ type: 'srflx', address: '203.0.113.9', port: 9, family: 4 }] };
    const unverified = planPunch(me, claimed);
    expect(unverified.strategy).toBe('relay');
    expect(unverified.reason).toMatch(/verified/);
    expect(unverified.send.targets).toEqual([]);
    const lying: PeerDescription = { profiles: [open], candidates: [...peer(open, '198.51.100.2', 2).candidates, { type: 'host', address: '203.0.113.9', port: 9, family: 4 }] };
    const plan = planPunch(me, lying);
    expect(plan.strategy).toBe('simultaneous-open');
    expect(plan.allowedAddresses).toEqual(['198.51.100.2']);
  });

  it('says why it relays, and refuses limits beyond the ceilings', () => {
    const rnd = profileOf({ mapping: 'address-and-port-dependent', portAllocation: 'random' });
    const plan = planPunch(peer(rnd, '198.51.100.1', 1), peer(rnd, '198.51.100.2', 2));
    expect(plan.strategy).toBe('relay');
    expect(plan.reason).toMatch(/random ports/);
    expect(planPunch({ profiles: [], candidates: [] }, peer(rnd, '198.51.100.2', 2)).reason).toMatch(/no address family/);
    expect(() => planPunch(peer(rnd, '198.51.100.1', 1), peer(rnd, '198.51.100.2', 2), { limits: { maxSockets: 100_000 } })).toThrow(/maxSockets/);
    expect(() => planPunch(peer(rnd, '198.51.100.1', 1), peer(rnd, '198.51.100.2', 2), { limits: { maxRatePps: Number.NaN } })).toThrow(/maxRatePps/);
  });
});
