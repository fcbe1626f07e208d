/**
 * The relay on real NATs: `natkit serve` in the lab's internet, a host behind each lab NAT (every
 * RFC 4787 behaviour, symmetric included) reaches a host behind a symmetric random NAT through
 * it, relay to relay, with natkit's TURN client; a host whose network drops all UDP relays over
 * TCP (and TLS). The two ends never talk directly: each allocates, the echo permits the relay's
 * IP, the pinger permits the echo's relayed address.
 */
import { expect, it } from 'vitest';
import { createLab, describeLab, inBatches, NATKIT_BIN, natBehaviors, runRelayPing, startRelayEcho, type Lab, type RelayPeerOptions, type RelayPingResult } from './harness/index.js';
import { certificateUnavailable, makeSelfSignedCertificate } from '../../packages/net/test/self-signed-cert.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const credentials = { username: 'alice', password: 'lab-secret' };
const sources = Object.fromEntries(natBehaviors.map((behavior, i) => [`S${i}`, { behavior }])) as Record<string, { behavior: (typeof natBehaviors)[number] }>;

/** `natkit serve` with the relay on 203.0.113.1:3478 (UDP, TCP) and TLS on 5349. */
async function startRelay(lab: Lab): Promise<string> {
  const relayIp = lab.serverAddresses[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'natkit-lab-tls-'));
  lab.defer(() => rm(dir, { recursive: true, force: true }));
  const cert = makeSelfSignedCertificate([relayIp]);
  await writeFile(join(dir, 'cert.pem'), cert.cert);
  await writeFile(join(dir, 'key.pem'), cert.key, { mode: 0o600 });
  const serve = await lab.spawn(lab.ns.inet, [
    process.execPath, NATKIT_BIN, 'serve', '--address', relayIp, '--port', '3478',
    '--user', `${credentials.username}:${credentials.password}`, '--allow-peer', '203.0.113.0/24',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--tls-port', '5349',
  ]);
  await serve.waitForOutput(/TURN on TLS/, 10_000);
  return cert.cert;
}

describeLab('relay through natkit serve on real NATs', ['turnserver'], () => {
  it('a host behind each lab NAT reaches a host behind a symmetric NAT; a UDP-blocked host relays over TCP and TLS (5349 and 3478)', async () => {
    const certSkip = certificateUnavailable();
    if (certSkip !== undefined) throw new Error(certSkip);
    await using lab: Lab = await createLab({
      sites: { T: { behavior: 'symmetric-random' }, ...sources, U: { topology: 'udp-blocked' } },
    });
    const ca = await startRelay(lab);
    const server = { address: lab.serverAddresses[0]!, port: 3478 };
    const udp: RelayPeerOptions = { server, credentials, transport: 'udp' };
    const echo = await startRelayEcho(lab, lab.hosts.T!.ns, udp);
    expect(echo.relayed.address).toBe(lab.serverAddresses[0]);

    const keys = Object.keys(sources);
    const results = await inBatches(keys, 4, async (key) => ({ key, r: await runRelayPing(lab, lab.hosts[key]!.ns, echo.relayed, udp) }));
    for (const { key, r } of results) {
      expect(r, `${key} (${sources[key]!.behavior}): ${r.raw}`).toMatchObject({ ok: true, sent: 20, received: 20, transport: 'udp' });
      // The server saw the NAT's public address: the path really crossed that NAT.
      expect(r.mapped?.address).toBe(lab.hosts[key]!.publicAddress);
    }

    const blocked = lab.hosts.U!.ns;
    const overUdp = await runRelayPing(lab, blocked, echo.relayed, { ...udp, deadlineMs: 10_000 });
    expect(overUdp.ok, 'the UDP-blocked network must really drop UDP').toBe(false);
    const overTcp = await runRelayPing(lab, blocked, echo.relayed, { server, credentials, transport: 'tcp' });
    expect(overTcp, overTcp.raw).toMatchObject({ ok: true, received: 20, transport: 'tcp', mapped: { address: lab.hosts.U!.publicAddress } });
    const tls: RelayPeerOptions = { server: { ...server, port: 5349 }, credentials, transport: 'tls', ca };
    const overTls = await runRelayPing(lab, blocked, echo.relayed, tls);
    expect(overTls, overTls.raw).toMatchObject({ ok: true, received: 20, transport: 'tls' });
    // TLS on the one port 3478 too: the ClientHello's first byte sends it to TLS termination.
    const overTlsOnMainPort = await runRelayPing(lab, blocked, echo.relayed, { ...tls, server });
    expect(overTlsOnMainPort, overTlsOnMainPort.raw).toMatchObject({ ok: true, received: 20, transport: 'tls' });
    await echo.process.stop({ graceMs: 2000 });
  });

  it("relay to relay between the two workers of natkit serve --workers 2, with the default peer filter (no --allow-peer): data both ways", async () => {
    await using lab: Lab = await createLab({ sites: { A: { behavior: 'symmetric-random' }, B: { behavior: 'port-restricted-cone' } } });
    const relayIp = lab.serverAddresses[0]!;
    const serve = await lab.spawn(lab.ns.inet, [
      process.execPath, NATKIT_BIN, 'serve', '--address', relayIp, '--port', '3478', '--workers', '2',
      '--user', `${credentials.username}:${credentials.password}`, '--relay-ports', '50000-50199',
    ]);
    await serve.waitForOutput(/shared by the 2 workers/, 20_000);
    // Which worker holds an allocation: its relayed port lies in that worker's slice of the range.
    const slices = [...serve.output.matchAll(/worker (\d) \(pid \d+\): TURN on UDP \S+, relay ports (\d+)-(\d+)/g)].map((m) => ({ worker: Number(m[1]), low: Number(m[2]), high: Number(m[3]) }));
    expect(slices, serve.output).toHaveLength(2);
    const workerOf = (port: number | undefined): number | undefined => slices.find((x) => port !== undefined && port >= x.low && port <= x.high)?.worker;
    const udp: RelayPeerOptions = { server: { address: relayIp, port: 3478 }, credentials, transport: 'udp' };
    const echo = await startRelayEcho(lab, lab.hosts.A!.ns, udp, 'own-relayed-address');
    const echoWorker = workerOf(echo.relayed.port);
    expect(echoWorker, JSON.stringify(echo.relayed)).toBeDefined();
    // The pinger's worker follows its 5-tuple (the primary's 300 redirect on Node 20, the kernel's
    // SO_REUSEPORT hash on newer Node): a new process, a new source port, until it is the other one.
    let r: RelayPingResult = { ok: false, raw: 'not run' };
    for (let attempt = 0; attempt < 12 && (r.relayed === undefined || workerOf(r.relayed.port) === echoWorker); attempt++) {
      r = await runRelayPing(lab, lab.hosts.B!.ns, echo.relayed, { ...udp, count: 10 });
    }
    expect(workerOf(r.relayed?.port), r.raw).toBe(1 - echoWorker!);
    // Every ping crossed from one worker's relay socket to the other's and every echo back.
    expect(r, r.raw).toMatchObject({ ok: true, sent: 10, received: 10, transport: 'udp' });
    await echo.process.stop({ graceMs: 2000 });
    await serve.stop({ graceMs: 5000 });
    const stopped = [...serve.output.matchAll(/worker \d relay stopped; (.*)/g)].map((m) => JSON.parse(m[1]!) as { allocationsCreated: number; drops: Record<string, number> });
    expect(stopped, serve.output).toHaveLength(2);
    for (const w of stopped) {
      expect(w.allocationsCreated).toBeGreaterThanOrEqual(1);
      expect(w.drops['peer-denied'] ?? 0).toBe(0);
    }
  });
});
