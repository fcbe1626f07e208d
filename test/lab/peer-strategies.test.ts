/**
 * What the pair matrix (peer-matrix.test.ts) does not cover: a second connection to the same
 * long-lived listener across two sequential (step 256) NATs. The first punch used up ports on
 * both NATs past the server-reflexive addresses they registered; each peer then announces its
 * latest allocation (`update`) so that the second connection's port predictions start right and
 * it ends direct by port prediction too. Driven with the shared harness (harness/peer-pair.ts).
 * Then the stale bases of a long-lived listener and of a long-lived initiator (other sockets
 * behind its NAT took ports since it registered).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { createLab, describeLab, runPeerPing, startPeerListener, startPeerServer, type Lab } from './harness/index.js';

describeLab('natkit listen / ping: a second sequential <-> sequential connection to the same listener', [], () => {
  it('both connections from QA to the listener in QB end direct by port prediction', async () => {
    await using lab = await createLab({
      sites: {
        QA: { behavior: 'symmetric-sequential-256' },
        QB: { behavior: 'symmetric-sequential-256' },
      },
    });
    const server = await startPeerServer(lab);
    const listener = await startPeerListener(lab, lab.hosts.QB.ns, server);
    const options = { count: 40, intervalMs: 500 };
    const first = await runPeerPing(lab, lab.hosts.QA.ns, server, listener.peer, options);
    const raw = (run: typeof first): string => `exit ${run.code}\n${run.stdout}\n${run.stderr}\n--- listener\n${listener.process.output}`;
    expect(first.summary, raw(first)).toMatchObject({ path: 'direct', strategy: 'port-prediction' });
    // Again, to the same listener: both NATs allocated ports since their srflx was measured.
    const second = await runPeerPing(lab, lab.hosts.QA.ns, server, listener.peer, options);
    expect(second.summary, raw(second)).toMatchObject({ path: 'direct', strategy: 'port-prediction' });
    for (const run of [first, second]) {
      expect(run.summary!.received, raw(run)).toBeGreaterThanOrEqual(30);
      process.stderr.write(`peer-strategies: sequential <-> sequential: first pong ${run.summary!.connectMs} ms, direct ${run.summary!.directMs} ms\n`);
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

  // peerfix: the initiator is the long-lived one. It registers, other sockets behind its NAT take
  // ports, then it connects: it samples its latest allocation and announces it before `connect`,
  // so the listener predicts its ports from there (a library peer: `natkit ping` registers afresh).
  it('a long-lived sequential(1) initiator with foreign allocations at its NAT since registering connects direct by port prediction', async () => {
    await using lab: Lab = await createLab({ sites: { A: { behavior: 'symmetric-sequential-1' }, B: { behavior: 'symmetric-sequential-1' } } });
    const server = await startPeerServer(lab);
    const listener = await startPeerListener(lab, lab.hosts.B!.ns, server);
    const dist = (pkg: string): string => pathToFileURL(resolve(import.meta.dirname, `../../packages/${pkg}/dist/index.js`)).href;
    const [host, port] = server.endpoint.split(':');
    const script = `
      import dgram from 'node:dgram';
      const { createPeer } = await import(${JSON.stringify(dist('peer'))});
      const { createNodeNetwork } = await import(${JSON.stringify(dist('net'))});
      const { Identity } = await import(${JSON.stringify(dist('identity'))});
      const peer = await createPeer({ server: { address: '${host}', port: ${port} }, identity: Identity.generate(), watchNetworkMs: false }, { network: createNodeNetwork() });
      for (let i = 0; i < 6; i++) {
        const s = dgram.createSocket('udp4');
        await new Promise((r) => s.send('x', ${port}, '${host}', r));
        s.close();
      }
      const c = await peer.connect('${listener.peer}', { signal: AbortSignal.timeout(15000) });
      for (let i = 0; i < 80 && c.path.kind !== 'direct'; i++) await new Promise((r) => setTimeout(r, 100));
      process.stdout.write(JSON.stringify({ path: c.path.kind, strategy: c.stats().strategy, reason: c.stats().strategyReason }) + '\\n');
      await peer.close();
      process.exit(0);
    `;
    const r = await lab.exec(lab.hosts.A!.ns, [process.execPath, '--input-type=module', '-e', script], { timeoutMs: 40_000 });
    const raw = `exit ${r.code}\n${r.stdout}\n${r.stderr}\n--- listener\n${listener.process.output}`;
    expect(r.code, raw).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}';
    expect(JSON.parse(line), raw).toMatchObject({ path: 'direct', strategy: 'port-prediction' });
  }, 120_000);
});
