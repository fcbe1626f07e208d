/**
 * Mapping lifetime (RFC 5780 §4.6) on a real Linux NAT: conntrack's UDP timeout, set per network
 * namespace, is the NAT's mapping timer. natkit must find it by RESPONSE-PORT probes.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FamilyReport } from '@natkit/stun';
import { createLab, describeLab, type Lab } from './harness/index.js';

const NATKIT = resolve(import.meta.dirname, '../../apps/cli/bin/natkit.js');
const TIMEOUT_SECONDS = 6;

describeLab('natkit diagnose --lifetime on a real NAT', [], () => {
  let lab: Lab<'A'>;
  beforeAll(async () => {
    lab = await createLab({ sites: { A: { behavior: 'port-restricted-cone' } } });
    const nat = lab.nat('A');
    // conntrack timeouts are per namespace: this NAT forgets an idle UDP mapping after 6 s.
    for (const key of ['nf_conntrack_udp_timeout', 'nf_conntrack_udp_timeout_stream']) {
      const r = await lab.exec(nat.ns, ['sysctl', '-w', `net.netfilter.${key}=${TIMEOUT_SECONDS}`]);
      if (r.code !== 0) throw new Error(`sysctl ${key}: ${r.stderr}`);
    }
    const serve = await lab.spawn(lab.ns.inet, [
      process.execPath, NATKIT, 'serve', '--address', lab.serverAddresses[0]!, '--alternate-address', lab.serverAddresses[1]!,
    ]);
    await serve.waitForOutput(/on UDP/, 10_000);
  });
  afterAll(() => lab?.close());

  it(`finds the ${TIMEOUT_SECONDS} s conntrack timeout by binary search`, async () => {
    const r = await lab.exec(
      lab.hosts.A.ns,
      [process.execPath, NATKIT, 'diagnose', '--server', `${lab.serverAddresses[0]}:3478`, '--json', '--ipv4', '--lifetime', '30'],
      { timeoutMs: 110_000 },
    );
    const report = (JSON.parse(r.stdout) as { ipv4: FamilyReport }).ipv4;
    expect(report.classic, r.stdout).toBe('port-restricted-cone');
    // A lower bound: the longest idle time the mapping survived, within the planner's resolution.
    expect(report.mappingLifetimeSeconds, r.stdout).toBeGreaterThanOrEqual(TIMEOUT_SECONDS - 1.5);
    expect(report.mappingLifetimeSeconds, r.stdout).toBeLessThanOrEqual(TIMEOUT_SECONDS + 0.5);
  }, 120_000);
});
