/**
 * Packet loss emulated with nftables (`numgen random mod 100 < N drop`, per direction). A bounded
 * probe sends 1000 Binding requests; each answer crosses the loss rules twice, so about
 * (1 - p)^2 of them come back, and the rules' own counters account for every missing one.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, probeLoss, readLossCounters, startTurnServer, type Lab, type TurnServer } from './harness/index.js';

describeLab('packet loss', ['turnserver'], () => {
  let lab: Lab<'L10' | 'L0' | 'N10'>;
  let turn: TurnServer;
  const server = { address: '203.0.113.2', port: 3478 };
  const count = 1000;

  beforeAll(async () => {
    lab = await createLab({
      sites: {
        L10: { behavior: 'port-restricted-cone', lossPercent: 10 },
        L0: { behavior: 'port-restricted-cone' },
        N10: { topology: 'no-nat', lossPercent: 10 },
      },
    });
    turn = await startTurnServer(lab);
  });
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  for (const site of ['L10', 'N10'] as const) {
    it(`${site === 'L10' ? 'behind a NAT' : 'on a host without NAT'}: lossPercent 10 drops about 10% in each direction`, async () => {
      const result = await probeLoss(lab, lab.hosts[site].ns, { server, count });
      const counters = await readLossCounters(lab, site);
      // Every unanswered request was dropped by one of the two rules, and nothing else was.
      expect(counters.outbound + counters.inbound).toBe(result.sent - result.received);
      // Binomial(1000, 0.1): mean 100, sd 9.5; these bounds are beyond 5 sd.
      expect(counters.outbound).toBeGreaterThan(50);
      expect(counters.outbound).toBeLessThan(150);
      const arrived = result.sent - counters.outbound;
      expect(counters.inbound / arrived).toBeGreaterThan(0.05);
      expect(counters.inbound / arrived).toBeLessThan(0.15);
      const perDirection = 1 - Math.sqrt(result.received / result.sent);
      expect(perDirection).toBeGreaterThan(0.06);
      expect(perDirection).toBeLessThan(0.14);
    });
  }

  it('without lossPercent nothing is dropped', async () => {
    const result = await probeLoss(lab, lab.hosts.L0.ns, { server, count });
    expect(result.received).toBe(result.sent);
  });
});
