/**
 * Hairpinning: a second socket in the host sends to the first socket's own mapped address.
 * Linux masquerade does not hairpin; the lab's hairpin rules (nat-rules.ts) do, for port-preserving
 * and random-port NATs alike. Judged by our own probe, by coturn natdiscovery -H and by the
 * classic stun client's hairpin test.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, probeHairpin, startTurnServer, type Lab, type TurnServer } from './harness/index.js';
import { runNatDiscovery } from './judges/nat-discovery.js';
import { runStunClient } from './judges/stun-client.js';

type Site = 'HP' | 'HS' | 'HF' | 'NH';

describeLab('hairpinning', ['turnserver', 'turnutils_natdiscovery', 'stun'], () => {
  let lab: Lab<Site>;
  let turn: TurnServer;
  const server = { address: '203.0.113.1', port: 3478 };

  beforeAll(async () => {
    lab = await createLab({
      sites: {
        HP: { behavior: 'port-restricted-cone', hairpin: true },
        HS: { behavior: 'symmetric-random', hairpin: true },
        HF: { behavior: 'full-cone', hairpin: true },
        NH: { behavior: 'port-restricted-cone' },
      },
    });
    turn = await startTurnServer(lab);
  });
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  for (const site of ['HP', 'HS', 'HF'] as const) {
    it(`a hairpinning NAT (${site}) delivers to the host's own mapped address, from an external source, both ways`, async () => {
      const result = await probeHairpin(lab, lab.hosts[site].ns, { server });
      const wan = lab.nat(site).wanAddress;
      expect(result.mapped?.address).toBe(wan);
      expect(result.received, JSON.stringify(result)).not.toBeNull();
      // RFC 4787 REQ-9: the hairpinned packet carries an external source address.
      expect(result.received!.from.address).toBe(wan);
      expect(result.reply, JSON.stringify(result)).not.toBeNull();
      expect(result.reply!.from).toEqual(result.mapped);
    });
  }

  it('plain masquerade does not hairpin', async () => {
    const result = await probeHairpin(lab, lab.hosts.NH.ns, { server, waitMs: 600 });
    expect(result.mapped?.address).toBe(lab.nat('NH').wanAddress);
    expect(result.received).toBeNull();
  });

  it('coturn natdiscovery -H and the classic stun client agree', async () => {
    const judge = async (site: Site) => {
      const ns = lab.hosts[site].ns;
      const discovery = await runNatDiscovery(lab, ns, server.address, { mapping: false, filtering: false, hairpinning: true });
      const classic = await runStunClient(lab, ns, server.address);
      return { site, natdiscovery: discovery.hairpinning, stun: classic.hairpin, raw: discovery.raw + classic.raw };
    };
    const verdicts = await Promise.all((['HP', 'HS', 'HF', 'NH'] as const).map(judge));
    const summary = verdicts.map(({ site, natdiscovery, stun }) => ({ site, natdiscovery, stun }));
    expect(summary, verdicts.map((v) => v.raw).join('\n')).toEqual([
      { site: 'HP', natdiscovery: true, stun: true },
      { site: 'HS', natdiscovery: true, stun: true },
      { site: 'HF', natdiscovery: true, stun: true },
      { site: 'NH', natdiscovery: false, stun: false },
    ]);
  });
});
