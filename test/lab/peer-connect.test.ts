/**
 * Peer-to-peer connections on real NATs (issue 7): `natkit serve` (STUN, TURN, rendezvous on
 * 203.0.113.1:3478) in the lab's internet, `natkit listen` behind one NAT, `natkit ping --json`
 * behind another. A pair with an endpoint-independent side ends on a direct path (simultaneous
 * open); two symmetric random NATs stay on the relay; a host whose network drops UDP reaches the
 * listener through the relay over TCP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLab, describeLab, NATKIT_BIN, type Lab } from './harness/index.js';

interface PingSummary {
  readonly type: 'summary';
  readonly sent: number;
  readonly received: number;
  readonly path: 'direct' | 'relay';
  readonly connectMs: number | null;
  readonly directMs: number | null;
}

async function listen(lab: Lab, site: string, dir: string, server: string): Promise<string> {
  const p = await lab.spawn(lab.hosts[site]!.ns, [process.execPath, NATKIT_BIN, 'listen', '--server', server, '--key', join(dir, `${site}.pem`), '--json']);
  await p.waitForOutput(/"type":"listening"/, 15_000);
  const line = p.stdout.split('\n').find((l) => l.includes('"listening"')) ?? '';
  return (JSON.parse(line) as { peer: string }).peer;
}

async function ping(lab: Lab, site: string, dir: string, server: string, peer: string): Promise<{ summary: PingSummary | undefined; raw: string }> {
  const r = await lab.exec(lab.hosts[site]!.ns, [process.execPath, NATKIT_BIN, 'ping', '--server', server, '--key', join(dir, `${site}.pem`), '--count', '8', '--interval', '250', '--json', peer], { timeoutMs: 40_000 });
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  const summary = lines.map((l) => JSON.parse(l) as { type: string }).find((o): o is PingSummary => o.type === 'summary');
  return { summary, raw: `exit ${r.code}\n${r.stdout}\n${r.stderr}` };
}

describeLab('natkit listen / ping through real NATs', [], () => {
  it('full cone <-> port-restricted, full cone <-> symmetric random and restricted <-> port-restricted end direct, symmetric random <-> symmetric random ends on the relay, a UDP-blocked host connects over TCP', async () => {
    await using lab: Lab = await createLab({
      sites: {
        F: { behavior: 'full-cone' },
        P: { behavior: 'port-restricted-cone' },
        RA: { behavior: 'symmetric-random' },
        RB: { behavior: 'symmetric-random' },
        U: { topology: 'udp-blocked' },
        C: { behavior: 'restricted-cone' },
        S: { behavior: 'symmetric-random' },
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'natkit-lab-peers-'));
    lab.defer(() => rm(dir, { recursive: true, force: true }));
    const ip = lab.serverAddresses[0]!;
    const serve = await lab.spawn(lab.ns.inet, [process.execPath, NATKIT_BIN, 'serve', '--address', ip, '--port', '3478', '--allow-peer', '203.0.113.0/24']);
    await serve.waitForOutput(/rendezvous \(WebSocket/, 10_000);
    const server = `${ip}:3478`;

    const f = await listen(lab, 'F', dir, server);
    const ra = await listen(lab, 'RA', dir, server);

    const easy = await ping(lab, 'P', dir, server, f);
    expect(easy.summary, easy.raw).toMatchObject({ sent: 8, path: 'direct', directMs: expect.any(Number) });
    expect(easy.summary!.received, easy.raw).toBeGreaterThanOrEqual(6);

    // Full cone <-> symmetric: the symmetric side's probes reach the cone, which answers at the
    // address they came from. Restricted cone <-> port-restricted: both filter, both probe.
    const coneToSymmetric = await ping(lab, 'S', dir, server, f);
    expect(coneToSymmetric.summary, coneToSymmetric.raw).toMatchObject({ sent: 8, path: 'direct' });
    const p = await listen(lab, 'P', dir, server);
    const filtered = await ping(lab, 'C', dir, server, p);
    expect(filtered.summary, filtered.raw).toMatchObject({ sent: 8, path: 'direct' });

    const hard = await ping(lab, 'RB', dir, server, ra);
    expect(hard.summary, hard.raw).toMatchObject({ sent: 8, path: 'relay', directMs: null });
    expect(hard.summary!.received, hard.raw).toBeGreaterThanOrEqual(6);

    const blocked = await ping(lab, 'U', dir, server, f);
    expect(blocked.summary, blocked.raw).toMatchObject({ sent: 8, path: 'relay', directMs: null });
    expect(blocked.summary!.received, blocked.raw).toBeGreaterThanOrEqual(6);
  }, 180_000);
});
