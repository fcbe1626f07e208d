import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeNetwork, systemClock } from '@natkit/net';
import { diagnose, type DiagnosisProgress } from '../../src/index.js';
import { createStunServer, type StunServer } from '../../src/server/stun-server.js';

// Real sockets on loopback, no NAT: 127.0.0.1 and 127.0.0.2 serve as the two server IPs.
describe('diagnose over loopback against the natkit RFC 5780 server', () => {
  let server: StunServer;
  beforeAll(async () => {
    server = createStunServer(
      { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, software: 'natkit test' },
      { network: createNodeNetwork() },
    );
    await server.start();
  });
  afterAll(() => server.close());

  it('reports no NAT: open internet, endpoint-independent, ports preserved', async () => {
    const progress: DiagnosisProgress[] = [];
    const primary = server.addresses()[0]!;
    const report = await diagnose(
      { servers: [primary], families: [4], hairpin: true, onProgress: (p) => progress.push(p) },
      { network: createNodeNetwork(), clock: systemClock },
    );
    expect(report.schemaVersion).toBe(1);
    expect(report.ipv6).toBeNull();
    const v4 = report.ipv4!;
    expect(v4).toMatchObject({
      udp: true,
      natDetected: false,
      mapping: 'endpoint-independent',
      filtering: 'endpoint-independent',
      portPreservation: true,
      classic: 'open-internet',
      hairpinning: true,
      algDetected: false,
    });
    expect(v4.portAllocation.pattern).toBe('preserving');
    expect(v4.mappedAddress).toEqual(v4.localAddress);
    expect(v4.servers[0]).toMatchObject({ behaviorDiscovery: true, software: 'natkit test' });
    expect(v4.outlook.verdict).toBe('direct');
    expect(progress.some((p) => p.phase === 'filtering' && p.state === 'done')).toBe(true);
    expect(server.stats().received).toBeGreaterThan(5);
  });

  it('says that a one-address server cannot do RFC 5780 instead of guessing', async () => {
    const single = createStunServer({ primary: { address: '127.0.0.1', port: 0 } }, { network: createNodeNetwork() });
    await single.start();
    try {
      const report = await diagnose(
        { servers: [single.addresses()[0]!], families: [4] },
        { network: createNodeNetwork(), clock: systemClock },
      );
      expect(report.ipv4).toMatchObject({ udp: true, mapping: 'unknown', filtering: 'unknown', classic: 'unknown' });
      expect(report.ipv4!.warnings.join('\n')).toMatch(/OTHER-ADDRESS/);
    } finally {
      await single.close();
    }
  });

  it('reports UDP blocked when nothing answers, within the timeout', async () => {
    const net = createNodeNetwork();
    const silent = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    try {
      const report = await diagnose(
        { servers: [silent.local], families: [4], timeoutMs: 300 },
        { network: net, clock: systemClock },
      );
      expect(report.ipv4).toMatchObject({ udp: false, udpFailure: 'no-response', classic: 'blocked' });
      expect(report.ipv4!.outlook.verdict).toBe('relay-only');
      // Budget 300 ms; generous for a shared machine, but far below a 5 s default-style wait.
      expect(report.durationMs).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });

  it('tells a port nothing listens on (ICMP port unreachable) from a silent path, at once', async () => {
    const net = createNodeNetwork();
    const closed = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    const port = closed.local.port;
    await closed.close();
    const report = await diagnose({ servers: [{ address: '127.0.0.1', port }], families: [4], timeoutMs: 5000 }, { network: net, clock: systemClock });
    expect(report.ipv4).toMatchObject({ udp: false, udpFailure: 'no-server', classic: 'unknown' });
    expect(report.ipv4!.warnings.join('\n')).toMatch(/port unreachable/);
    // At once: far sooner than the 5 s timeout it would otherwise wait out.
    expect(report.durationMs).toBeLessThan(3000);
  });

  it('honours an AbortSignal', async () => {
    const net = createNodeNetwork();
    const silent = await net.bindUdp({ family: 4, address: '127.0.0.1' });
    try {
      const controller = new AbortController();
      const p = diagnose({ servers: [silent.local], families: [4], timeoutMs: 5000, signal: controller.signal }, { network: net, clock: systemClock });
      setTimeout(() => controller.abort(new Error('user abort')), 50);
      await expect(p).rejects.toThrow('user abort');
    } finally {
      await silent.close();
    }
  });
});
