/**
 * Cross-validation of the virtual network against the real lab: for each Linux NAT of
 * nat-lab.md, `natkit diagnose` runs in the lab against `natkit serve`, and the same diagnosis
 * runs in-process over vnet with the matching preset. Both must give the same mapping, filtering,
 * port allocation (and step), port preservation and hairpinning, and both must be right. A vnet
 * preset that drifts from the kernel's behavior fails here, not in a test that trusts the preset.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStunServer, diagnose, type FamilyReport } from '@natkit/stun';
import { createPrng, createVirtualNetwork, ManualClock, natPresets, type NatOptions } from '@natkit/vnet';
import {
  createLab,
  describeLab,
  inBatches,
  runNatkitDiagnose,
  startNatkitServe,
  type Lab,
  type LabNat,
  type LabProcess,
  type NatBehavior,
} from './harness/index.js';

const PORT = 3478;
const TIMEOUT_MS = 1500;

const EIM = 'endpoint-independent';
const ADM = 'address-dependent';
const APDM = 'address-and-port-dependent';

interface Case {
  behavior: NatBehavior;
  /** The vnet NAT that claims to reproduce the lab rule (the lab NAT's random port offset given). */
  preset: (nat: LabNat) => NatOptions;
  expected: { mapping: string; filtering: string; pattern: string; delta: number | null };
}

const cases = {
  FC: {
    behavior: 'full-cone',
    preset: () => ({ ...natPresets.linuxMasquerade, filtering: EIM }),
    expected: { mapping: EIM, filtering: EIM, pattern: 'preserving', delta: null },
  },
  RC: {
    behavior: 'restricted-cone',
    preset: () => ({ ...natPresets.linuxMasquerade, filtering: ADM }),
    expected: { mapping: EIM, filtering: ADM, pattern: 'preserving', delta: null },
  },
  PRC: {
    behavior: 'port-restricted-cone',
    preset: () => natPresets.linuxMasquerade,
    expected: { mapping: EIM, filtering: APDM, pattern: 'preserving', delta: null },
  },
  SR: {
    behavior: 'symmetric-random',
    preset: () => natPresets.linuxMasqueradeRandom,
    expected: { mapping: APDM, filtering: APDM, pattern: 'random', delta: null },
  },
  S256: {
    behavior: 'symmetric-sequential-256',
    preset: (nat) => ({ ...natPresets.linuxSnatSequentialStep256, firstPort: nat.portOffset }),
    expected: { mapping: APDM, filtering: APDM, pattern: 'sequential', delta: 256 },
  },
  S1: {
    behavior: 'symmetric-sequential-1',
    preset: (nat) => ({ ...natPresets.linuxSnatSequentialStep256, delta: 1, firstPort: nat.portOffset }),
    expected: { mapping: APDM, filtering: APDM, pattern: 'sequential', delta: 1 },
  },
  ADM: {
    behavior: 'address-dependent-mapping',
    preset: () => natPresets.linuxSnatAddressDependent,
    expected: { mapping: ADM, filtering: APDM, pattern: 'random', delta: null },
  },
} satisfies Record<string, Case>;
type Key = keyof typeof cases;

/** What the two runs must agree on. */
function verdictOf(r: FamilyReport | null | undefined): Record<string, unknown> {
  return {
    udp: r?.udp,
    natDetected: r?.natDetected,
    mapping: r?.mapping,
    filtering: r?.filtering,
    classic: r?.classic,
    pattern: r?.portAllocation.pattern,
    delta: r?.portAllocation.delta,
    portPreservation: r?.portPreservation,
    hairpinning: r?.hairpinning,
  };
}

interface LabRun {
  code: number | null;
  report: FamilyReport | null;
  raw: string;
}

/** `natkit diagnose --json` in the host's namespace (the lab runs only its own processes there). */
async function diagnoseInLab(lab: Lab, ns: string): Promise<LabRun> {
  const server = `${lab.serverAddresses[0]}:${PORT}`;
  const r = await runNatkitDiagnose(lab, ns, [server], ['--ipv4', '--hairpin', '--timeout', String(TIMEOUT_MS)], { timeoutMs: 30_000 });
  return { code: r.code, report: r.report?.ipv4 ?? null, raw: r.raw };
}

/** The same diagnosis in-process over vnet: the same server addresses, a NAT with `nat`. */
async function diagnoseInVnet(nat: NatOptions, seed: number): Promise<FamilyReport> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed });
  try {
    const primary = { address: '203.0.113.1', port: PORT };
    const serverHost = vnet.createHost(vnet.internet, { ipv4: ['203.0.113.1', '203.0.113.2'], ipv6: false });
    const server = createStunServer({ primary, alternate: { address: '203.0.113.2', port: PORT + 1 } }, { network: serverHost.network, clock });
    await server.start();
    const client = vnet.createHost(vnet.createRouter(vnet.internet, { nat }), { ipv6: false });
    const prng = createPrng(seed);
    const report = await clock.runUntil(
      diagnose(
        { servers: [primary], families: [4], hairpin: true, timeoutMs: TIMEOUT_MS },
        { network: client.network, clock, random: (n) => Uint8Array.from({ length: n }, () => prng.int(256)) },
      ),
    );
    await server.close();
    return report.ipv4!;
  } finally {
    await vnet.close();
  }
}

describeLab('vnet NAT presets against the real Linux NATs of the lab', [], () => {
  let lab: Lab<Key>;
  let serve: LabProcess | undefined;
  const inLab = new Map<Key, LabRun>();

  beforeAll(async () => {
    lab = await createLab({
      sites: Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, { behavior: c.behavior }])) as Record<Key, { behavior: NatBehavior }>,
    });
    serve = await startNatkitServe(lab, { port: PORT });
    await inBatches(Object.keys(cases) as Key[], 2, async (key) => inLab.set(key, await diagnoseInLab(lab, lab.hosts[key].ns)));
  }, 180_000);

  afterAll(async () => {
    await serve?.stop();
    await lab?.close();
  });

  for (const [key, c] of Object.entries(cases) as [Key, Case][]) {
    it(`${c.behavior}: the vnet preset and the real NAT get the same diagnosis`, async ({ task }) => {
      const real = inLab.get(key);
      expect(real, 'the lab run').toBeDefined();
      expect(real!.code, real!.raw).toBe(0);
      const virtual = await diagnoseInVnet(c.preset(lab.nat(key)), 1);
      Object.assign(task.meta, { lab: verdictOf(real!.report), vnet: verdictOf(virtual) });
      expect(verdictOf(virtual), `lab: ${real!.raw}`).toEqual(verdictOf(real!.report));
      // Agreement is not enough: both must be right.
      expect({
        mapping: virtual.mapping,
        filtering: virtual.filtering,
        pattern: virtual.portAllocation.pattern,
        delta: virtual.portAllocation.delta,
      }).toEqual(c.expected);
      expect(real!.report?.mappedAddress?.address).toBe(lab.hosts[key].publicAddress);
    });
  }
});
