/**
 * Bad options reject at once with a coded error, before any socket is opened (issue 10, items 1,
 * 2 and 6); the friendlier defaults and the single-server form work.
 */
import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { diagnose, startStunServer, type DiagnoseOptions, type DiagnosisProgress } from '../../src/index.js';
import { createSite, PRIMARY } from './vnet-site.js';

describe('diagnose refuses bad options with a coded error and opens no socket', () => {
  const server = { address: '203.0.113.1', port: 3478 };
  it.each<[string, Partial<DiagnoseOptions> & Pick<DiagnoseOptions, 'servers'>, string]>([
    ['timeoutMs NaN', { servers: [server], timeoutMs: Number.NaN }, 'ERR_BAD_OPTION'],
    ['timeoutMs Infinity', { servers: [server], timeoutMs: Number.POSITIVE_INFINITY }, 'ERR_BAD_OPTION'],
    ['timeoutMs -5', { servers: [server], timeoutMs: -5 }, 'ERR_BAD_OPTION'],
    ['allocationSockets 1.5', { servers: [server], allocationSockets: 1.5 }, 'ERR_BAD_OPTION'],
    ['allocationSockets -1', { servers: [server], allocationSockets: -1 }, 'ERR_BAD_OPTION'],
    ['lifetime.maxSeconds NaN', { servers: [server], lifetime: { maxSeconds: Number.NaN } }, 'ERR_BAD_OPTION'],
    ['families [5]', { servers: [server], families: [5 as 4] }, 'ERR_BAD_OPTION'],
    ['families []', { servers: [server], families: [] }, 'ERR_BAD_OPTION'],
    ['hairpin "yes"', { servers: [server], hairpin: 'yes' as unknown as boolean }, 'ERR_BAD_OPTION'],
    ['a server port 99999', { servers: [{ address: '203.0.113.1', port: 99999 }] }, 'ERR_BAD_PORT'],
    ['a server port 1.5', { servers: [{ address: '203.0.113.1', port: 1.5 }] }, 'ERR_BAD_PORT'],
    ['a server string with port 99999', { servers: ['203.0.113.1:99999'] }, 'ERR_BAD_PORT'],
    ['a host name in an endpoint object', { servers: [{ address: 'stun.example.org', port: 3478 }] }, 'ERR_BAD_SERVER'],
    ['a server that is a number', { servers: [42 as unknown as string] }, 'ERR_BAD_SERVER'],
    ['only IPv4 servers for families [6]', { servers: [server], families: [6] }, 'ERR_NO_SERVERS'],
  ])('%s', async (_what, options, code) => {
    const clock = new ManualClock();
    const vnet = createVirtualNetwork({ clock });
    const host = vnet.createHost(vnet.internet);
    try {
      await expect(diagnose(options, { network: host.network, clock })).rejects.toMatchObject({ name: 'DiagnosisError', code });
      expect(host.openSockets).toBe(0);
      expect(clock.pendingTimers).toBe(0);
    } finally {
      await vnet.close();
    }
  });
});

describe('diagnose: defaults and forgiving forms', () => {
  it('takes a single server string (not only an array), and warns about a family asked for without a server', async () => {
    const site = await createSite({});
    try {
      const report = await site.clock.runUntil(
        diagnose({ servers: `${PRIMARY.address}:${PRIMARY.port}`, families: [4, 6] }, { network: site.client.network, clock: site.clock }),
        { maxMs: 600_000 },
      );
      expect(report.ipv4?.udp).toBe(true);
      expect(report.ipv6).toBeNull();
      expect(report.warnings).toContain('no IPv6 server: IPv6 not tested');
    } finally {
      await site.close();
    }
  });

  it('a throwing onProgress listener is logged and ignored: the diagnosis still completes', async () => {
    const site = await createSite({});
    const seen: DiagnosisProgress[] = [];
    const warned: string[] = [];
    const logger = {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (m: string) => warned.push(m),
      error: () => {},
      child: () => logger,
    };
    const onProgress = (p: DiagnosisProgress): void => {
      seen.push(p);
      throw new Error('listener bug');
    };
    try {
      const report = await site.clock.runUntil(
        diagnose({ servers: [PRIMARY], families: [4], onProgress }, { network: site.client.network, clock: site.clock, logger }),
        { maxMs: 600_000 },
      );
      expect(report.ipv4?.mapping).toBe('endpoint-independent');
      expect(seen.length).toBeGreaterThan(2);
      expect(warned.length).toBe(seen.length);
      expect(site.vnet.openSockets).toBe(4); // only the server's four: every probe socket is closed
    } finally {
      await site.close();
    }
  });

  it('needs no components: the Node network and the system clock are the defaults', async () => {
    await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' } });
    const primary = server.addresses()[0];
    if (primary === undefined) throw new Error('no address');
    const report = await diagnose({ servers: primary, families: [4], allocationSockets: 1 });
    expect(report.ipv4).toMatchObject({ udp: true, mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  });
});
