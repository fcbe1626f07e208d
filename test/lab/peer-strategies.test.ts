/**
 * What the pair matrix (peer-matrix.test.ts) does not cover: a second connection to the same
 * long-lived listener across two sequential (step 256) NATs. The first punch used up ports on
 * both NATs past the server-reflexive addresses they registered; each peer then announces its
 * latest allocation (`update`) so that the second connection's port predictions start right and
 * it ends direct by port prediction too. Driven with the shared harness (harness/peer-pair.ts).
 */
import { expect, it } from 'vitest';
import { createLab, describeLab, runPeerPing, startPeerListener, startPeerServer } from './harness/index.js';

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
  }, 180_000);
});
