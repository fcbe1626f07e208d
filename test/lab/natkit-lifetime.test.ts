/**
 * Mapping lifetime (RFC 5780 §4.6) on a real Linux NAT: conntrack's UDP timeout, set per network
 * namespace, is the NAT's mapping timer. natkit must find it by RESPONSE-PORT probes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, runNatkitDiagnose, startNatkitServe, type Lab } from './harness/index.js';

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
    await startNatkitServe(lab);
  });
  afterAll(() => lab?.close());

  it(`finds the ${TIMEOUT_SECONDS} s conntrack timeout by binary search`, async () => {
    const r = await runNatkitDiagnose(lab, lab.hosts.A.ns, [`${lab.serverAddresses[0]}:3478`], ['--ipv4', '--lifetime', '30'], { timeoutMs: 110_000 });
    const report = r.report?.ipv4;
    expect(report?.classic, r.raw).toBe('port-restricted-cone');
    // A lower bound: the longest idle time the mapping survived, within the planner's resolution.
    expect(report?.mappingLifetimeSeconds, r.raw).toBeGreaterThanOrEqual(TIMEOUT_SECONDS - 1.5);
    expect(report?.mappingLifetimeSeconds, r.raw).toBeLessThanOrEqual(TIMEOUT_SECONDS + 0.5);
  }, 120_000);
});
