import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeNetwork } from '@natkit/net';
import { createStunServer, type DiagnosisReport, type StunServer } from '@natkit/stun';
import { main } from '../src/main.js';
import { DEFAULT_SERVERS, runDiagnose, type Io } from '../src/commands/diagnose.js';

/** Runs the CLI in process with captured output. */
async function run(args: string[], tty = false): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stderrIsTty: tty };
  const code = await main(['node', 'natkit', ...args], io);
  return { code, out, err };
}

describe('natkit CLI', () => {
  let full: StunServer;
  let single: StunServer;
  beforeAll(async () => {
    full = createStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' } }, { network: createNodeNetwork() });
    single = createStunServer({ primary: { address: '127.0.0.1', port: 0 } }, { network: createNodeNetwork() });
    await Promise.all([full.start(), single.start()]);
  });
  afterAll(() => Promise.all([full.close(), single.close()]));
  const addr = (s: StunServer): string => `127.0.0.1:${s.addresses()[0]!.port}`;

  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/diagnose/);
    expect(r.out).toMatch(/serve/);
  });

  it('prints the version of apps/cli/package.json', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('exits 2 on an unknown option or a bad value, with a message', async () => {
    expect((await run(['diagnose', '--bogus'])).code).toBe(2);
    const bad = await run(['diagnose', '--server', addr(full), '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--timeout takes milliseconds/);
    const badServer = await run(['diagnose', '--server', '[::1']);
    expect(badServer.code).toBe(2);
    expect(badServer.err).toMatch(/bad server/);
  });

  it('diagnose --json prints schema version 1 and exits 0 when complete', async () => {
    const r = await run(['diagnose', '--server', addr(full), '--json', '--ipv4']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as DiagnosisReport;
    expect(report.schemaVersion).toBe(1);
    expect(report.ipv6).toBeNull();
    expect(report.ipv4).toMatchObject({ udp: true, classic: 'open-internet', mapping: 'endpoint-independent' });
    // schemaVersion 1 is a public interface: exactly these keys, no more, no fewer.
    expect(Object.keys(report).sort()).toEqual(['durationMs', 'ipv4', 'ipv6', 'schemaVersion', 'warnings']);
    expect(Object.keys(report.ipv4!).sort()).toEqual(
      [
        'algDetected', 'carrierGradeNat', 'classic', 'durationMs', 'externalAddresses', 'family', 'filtering', 'hairpinning',
        'localAddress', 'mappedAddress', 'mapping', 'mappingLifetimeSeconds', 'natDetected', 'outlook', 'portAllocation',
        'portPreservation', 'servers', 'udp', 'udpFailure', 'warnings',
      ].sort(),
    );
    expect(Object.keys(report.ipv4!.portAllocation).sort()).toEqual(['delta', 'pattern', 'samples']);
    expect(Object.keys(report.ipv4!.outlook).sort()).toEqual(['reason', 'verdict']);
    expect(Object.keys(report.ipv4!.servers[0]!).sort()).toEqual(['address', 'behaviorDiscovery', 'otherAddress', 'rttMs', 'software']);
  });

  it('the text report puts the verdict first', async () => {
    const r = await run(['diagnose', '--server', addr(full), '--ipv4']);
    expect(r.out.split('\n')[0]).toBe('IPv4: DIRECT: peers can reach you');
    expect(r.out).toMatch(/NAT type \(RFC 3489\): +Open Internet/);
  });

  it('exits 4 when a one-address server cannot answer the RFC 5780 tests', async () => {
    const r = await run(['diagnose', '--server', addr(single), '--ipv4']);
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/warning: .*OTHER-ADDRESS/);
  });

  it('exits 3 when no server answers', async () => {
    const silent = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' });
    try {
      const r = await run(['diagnose', '--server', `127.0.0.1:${silent.local.port}`, '--timeout', '200', '--json']);
      expect(r.code).toBe(3);
      expect((JSON.parse(r.out) as DiagnosisReport).ipv4?.classic).toBe('blocked');
    } finally {
      await silent.close();
    }
  });

  it('shows progress on stderr only when it is a terminal', async () => {
    const tty = await run(['diagnose', '--server', addr(full), '--ipv4', '--json'], true);
    expect(tty.err).toMatch(/IPv4 filtering/);
    const pipe = await run(['diagnose', '--server', addr(full), '--ipv4', '--json'], false);
    expect(pipe.err).toBe('');
  });

  it('offline (no default server name resolves): says so in plain words, suggests --server, exits 3', async () => {
    // A resolver as getaddrinfo fails with no network: nothing is sent anywhere.
    const asked: string[] = [];
    const offline = (host: string) => {
      asked.push(host);
      return Promise.reject(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: 'EAI_AGAIN' }));
    };
    let out = '';
    let err = '';
    const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), stderrIsTty: false };
    const code = await runDiagnose({ json: true }, io, undefined, { resolve: offline });
    expect(code).toBe(3);
    expect(asked).toEqual(DEFAULT_SERVERS.map((s) => s.split(':')[0]));
    expect(err).toContain('no default STUN server name resolved: offline, or DNS blocked? use --server HOST');
    expect(err).toContain(`cannot resolve ${asked[0]}: no answer from DNS`);
    expect(err).not.toMatch(/unexpected/i);
    expect(out).toBe('');
  });

  it('a --server name that does not resolve: names it, exits 3', async () => {
    let err = '';
    const io: Io = { stdout: () => undefined, stderr: (s) => void (err += s), stderrIsTty: false };
    const notFound = (host: string) => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    const code = await runDiagnose({ server: ['stun.example.invalid'] }, io, undefined, { resolve: notFound });
    expect(code).toBe(3);
    expect(err).toContain('no STUN server name resolved');
    expect(err).toContain('cannot resolve stun.example.invalid: no such name');
  });
});
