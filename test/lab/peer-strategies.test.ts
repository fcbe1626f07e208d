/**
 * The punch strategies of @natkit/peer on real NATs (issue 7, part 3): `natkit serve` with two
 * addresses (RFC 5780: mapping and filtering are measured), `natkit listen` behind one NAT,
 * `natkit ping --json` behind another. Each pair needs a strategy beyond plain simultaneous open:
 * port prediction (a sequential allocator against a port-restricted cone, and two sequential
 * allocators), and the birthday paradox (a random allocator against a port-restricted cone). Each
 * ends on a direct path, with the strategy the planner chose reported in the summary; a second
 * sequential <-> sequential connection too (each peer re-announces its latest allocation).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLab, describeLab, NATKIT_BIN, runPeerPing, startPeerListener, startPeerServer, type Lab } from './harness/index.js';

interface PingSummary {
  readonly type: 'summary';
  readonly sent: number;
  readonly received: number;
  readonly path: 'direct' | 'relay';
  readonly connectMs: number | null;
  readonly directMs: number | null;
  readonly strategy: string;
  readonly strategyReason: string;
}

async function listen(lab: Lab, site: string, dir: string, server: string): Promise<{ peer: string; readyMs: number; nat: string }> {
  const p = await lab.spawn(lab.hosts[site]!.ns, [process.execPath, NATKIT_BIN, 'listen', '--server', server, '--key', join(dir, `${site}.pem`), '--json']);
  await p.waitForOutput(/"type":"listening"/, 20_000);
  const line = p.stdout.split('\n').find((l) => l.includes('"listening"')) ?? '';
  // stderr: "natkit: NAT mapping ..., filtering ..., ports ...; public address ...; diagnosis N ms, ready in M ms"
  const nat = p.stderr.split('\n').find((l) => l.startsWith('natkit: NAT')) ?? '';
  return { ...(JSON.parse(line) as { peer: string; readyMs: number }), nat };
}

/** Pings for up to 20 s (birthday attempts take ~12 s), so that the final path is known. */
async function ping(lab: Lab, site: string, dir: string, server: string, peer: string): Promise<{ summary: PingSummary | undefined; raw: string }> {
  const r = await lab.exec(lab.hosts[site]!.ns, [process.execPath, NATKIT_BIN, 'ping', '--server', server, '--key', join(dir, `${site}.pem`), '--count', '40', '--interval', '500', '--json', peer], { timeoutMs: 60_000 });
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  const summary = lines.map((l) => JSON.parse(l) as { type: string }).find((o): o is PingSummary => o.type === 'summary');
  return { summary, raw: `exit ${r.code}\n${r.stdout}\n${r.stderr}` };
}

describeLab('natkit listen / ping: the punch strategy per NAT pair on real NATs', [], () => {
  it('sequential(256) <-> port-restricted and sequential <-> sequential by port prediction, symmetric random <-> port-restricted by the birthday paradox: all end direct', async () => {
    await using lab: Lab = await createLab({
      sites: {
        Q: { behavior: 'symmetric-sequential-256' },
        P: { behavior: 'port-restricted-cone' },
        QA: { behavior: 'symmetric-sequential-256' },
        QB: { behavior: 'symmetric-sequential-256' },
        R: { behavior: 'symmetric-random' },
        PB: { behavior: 'port-restricted-cone' },
      },
    });
    const dir = await mkdtemp(join(tmpdir(), 'natkit-lab-strategies-'));
    lab.defer(() => rm(dir, { recursive: true, force: true }));
    const [ip, alternate] = lab.serverAddresses;
    const serve = await lab.spawn(lab.ns.inet, [process.execPath, NATKIT_BIN, 'serve', '--address', ip!, '--alternate-address', alternate!, '--port', '3478', '--allow-peer', '203.0.113.0/24']);
    await serve.waitForOutput(/rendezvous \(WebSocket/, 10_000);
    const server = `${ip}:3478`;

    const p = await listen(lab, 'P', dir, server);
    expect(p.nat).toMatch(/mapping endpoint-independent, filtering address-and-port-dependent/);
    const sequentialToCone = await ping(lab, 'Q', dir, server, p.peer);
    expect(sequentialToCone.summary, sequentialToCone.raw).toMatchObject({ path: 'direct', strategy: 'port-prediction' });

    const qb = await listen(lab, 'QB', dir, server);
    expect(qb.nat).toMatch(/mapping address-and-port-dependent, filtering address-and-port-dependent, ports sequential \(step 256\)/);
    const sequentialPair = await ping(lab, 'QA', dir, server, qb.peer);
    expect(sequentialPair.summary, sequentialPair.raw).toMatchObject({ path: 'direct', strategy: 'port-prediction' });
    // Again: both NATs used up ports on the first punch; each peer announced its latest allocation.
    const sequentialAgain = await ping(lab, 'QA', dir, server, qb.peer);
    expect(sequentialAgain.summary, sequentialAgain.raw).toMatchObject({ path: 'direct', strategy: 'port-prediction' });

    const pb = await listen(lab, 'PB', dir, server);
    const birthday = await ping(lab, 'R', dir, server, pb.peer);
    expect(birthday.summary, birthday.raw).toMatchObject({ path: 'direct', strategy: 'birthday' });
    for (const l of [p, qb, pb]) process.stderr.write(`peer-strategies: listener ${l.nat}\n`);
    for (const r of [sequentialToCone, sequentialPair, sequentialAgain, birthday]) {
      expect(r.summary!.received, r.raw).toBeGreaterThanOrEqual(30);
      process.stderr.write(`peer-strategies: ${r.summary!.strategy}: first pong ${r.summary!.connectMs} ms, direct ${r.summary!.directMs} ms (listeners ready in ${p.readyMs}/${qb.readyMs}/${pb.readyMs} ms)\n`);
    }
  }, 300_000);
  // seqfix: successive pings against one long-lived listener on sequential (step 1) NATs, with
  // other sockets behind the listener's NAT taking ports between them (as the ICE runs of the
  // bench do): the listener samples its latest allocation when introduced and shifts its targets.
  it('four successive sequential(1) <-> sequential(1) pings against one listener, with foreign allocations at its NAT in between: all direct', async () => {
    await using lab: Lab = await createLab({ sites: { A: { behavior: 'symmetric-sequential-1' }, B: { behavior: 'symmetric-sequential-1' } } });
    const server = await startPeerServer(lab);
    const listener = await startPeerListener(lab, lab.hosts.B!.ns, server, { debug: true });
    const foreign = `const d=require('node:dgram');let n=0;for(let i=0;i<5;i++){const s=d.createSocket('udp4');s.send('x',3478,'${lab.serverAddresses[0]!}',()=>{s.close();if(++n===5)process.exit(0)})}`;
    for (let i = 0; i < 4; i++) {
      const r = await runPeerPing(lab, lab.hosts.A!.ns, server, listener.peer, { count: 16, intervalMs: 250 });
      const raw = `run ${i}: exit ${r.code}\n${r.stdout}\n${r.stderr}\n--- listener\n${listener.process.output}`;
      expect(r.summary, raw).toMatchObject({ path: 'direct', strategy: 'port-prediction' });
      const moved = await lab.exec(lab.hosts.B!.ns, [process.execPath, '-e', foreign], { timeoutMs: 5_000 });
      expect(moved.code, moved.stderr).toBe(0);
    }
    expect(listener.process.output).toMatch(/prediction shift \{"shift":([5-9]|[1-6]\d)\}/);
  }, 180_000);
});
