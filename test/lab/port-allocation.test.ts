/**
 * Port allocation seen directly: sockets opened one after another in the host each ask coturn
 * for their mapped endpoint. Checks preservation, step 256, step 1, randomness, and how the
 * mapping depends on the destination (EIM / ADM / APDM).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, probeMappings, startTurnServer, type Lab, type TurnServer } from './harness/index.js';

const byteSwap16 = (value: number) => ((value & 0xff) << 8) | ((value >> 8) & 0xff);
const deltas = (ports: readonly number[]) => ports.slice(1).map((port, i) => (port - ports[i]! + 0x10000) % 0x10000);

describeLab('port allocation and mapping per destination, observed directly', ['turnserver'], () => {
  let lab: Lab<'PRC' | 'SR' | 'S256' | 'S1' | 'ADM'>;
  let turn: TurnServer;
  const primary = { address: '203.0.113.1', port: 3478 };
  const samePortOtherIp = { address: '203.0.113.2', port: 3478 };
  const sameIpOtherPort = { address: '203.0.113.1', port: 3479 };

  beforeAll(async () => {
    lab = await createLab({
      sites: {
        PRC: { behavior: 'port-restricted-cone' },
        SR: { behavior: 'symmetric-random' },
        S256: { behavior: 'symmetric-sequential-256' },
        S1: { behavior: 'symmetric-sequential-1' },
        ADM: { behavior: 'address-dependent-mapping' },
      },
    });
    turn = await startTurnServer(lab);
  });
  afterAll(async () => {
    await turn?.stop();
    await lab?.close();
  });

  const mappedPorts = async (site: 'PRC' | 'SR' | 'S256' | 'S1' | 'ADM', sockets: number) => {
    const probe = await probeMappings(lab, lab.hosts[site].ns, { destinations: [primary], sockets });
    for (const result of probe.results) expect(result.mapped[0]?.address).toBe(lab.nat(site).wanAddress);
    return { local: probe.results.map((r) => r.localPort), mapped: probe.results.map((r) => r.mapped[0]!.port) };
  };

  // The sequential NATs see no UDP before these probes, so their counters start at 0 here.
  it('symmetric-sequential-256: consecutive mappings step by 256 from the random offset (byte-swapped numgen)', async () => {
    const { mapped } = await mappedPorts('S256', 8);
    const offset = lab.nat('S256').portOffset;
    expect(mapped).toEqual(mapped.map((_, i) => byteSwap16(offset + i)));
    expect(deltas(mapped).filter((d) => d === 256).length).toBeGreaterThanOrEqual(6); // one carry allowed
  });

  it('symmetric-sequential-1: consecutive mappings are consecutive ports from the random offset', async () => {
    const { mapped } = await mappedPorts('S1', 8);
    const offset = lab.nat('S1').portOffset;
    expect(mapped).toEqual(mapped.map((_, i) => offset + i));
  });

  it('port-restricted cone (masquerade): every socket keeps its own port', async () => {
    const { local, mapped } = await mappedPorts('PRC', 8);
    expect(mapped).toEqual(local);
  });

  it('symmetric-random: ports are neither preserved nor evenly spaced', async () => {
    const { local, mapped } = await mappedPorts('SR', 8);
    expect(mapped.filter((port, i) => port === local[i]).length).toBeLessThanOrEqual(1);
    expect(new Set(deltas(mapped)).size).toBeGreaterThan(4);
    expect(new Set(mapped).size).toBe(8);
  });

  it('mapping per destination: EIM keeps one port, ADM changes with the IP only, APDM with IP or port', async () => {
    const destinations = [primary, sameIpOtherPort, samePortOtherIp];
    const ports = async (site: 'PRC' | 'ADM' | 'SR' | 'S1') => {
      const probe = await probeMappings(lab, lab.hosts[site].ns, { destinations, sockets: 2 });
      return probe.results.map((r) => r.mapped.map((m) => m?.port ?? -1));
    };
    for (const [a, b, c] of await ports('PRC')) expect(new Set([a, b, c]).size).toBe(1);
    for (const [a, b, c] of await ports('ADM')) {
      expect(a).toBe(b);
      expect(c).not.toBe(a);
    }
    for (const site of ['SR', 'S1'] as const) {
      for (const [a, b, c] of await ports(site)) expect(new Set([a, b, c]).size).toBe(3);
    }
  });

  it('address-dependent mapping: different sockets get different ports to the same server', async () => {
    const { mapped } = await mappedPorts('ADM', 6);
    expect(new Set(mapped).size).toBe(6);
  });
});
