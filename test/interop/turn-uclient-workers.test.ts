import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInterop } from '../lab/harness/index.js';
import { relayRange, runUclient, startEchoPeer, startNatkitRelay, uclientPassed, type ChildHandle } from './natkit-serve-relay.js';

/*
 * coturn's turnutils_uclient (Debian coturn 4.6.1) against `natkit serve --workers 2`: the main
 * port answers each UDP Allocate with 300 ALTERNATE-SERVER (a worker's port). uclient follows it
 * (it prints "error 300 (Try Alternate)", then allocates at the worker), so all allocations must
 * land in the workers and none in the primary.
 */

describeInterop('turnutils_uclient against natkit serve --workers 2 (UDP, 300 redirects)', { tools: ['turnutils_uclient', 'turnutils_peer'] }, () => {
  let serve: ChildHandle;
  let peer: ChildHandle;
  beforeAll(async () => {
    serve = await startNatkitRelay([
      '--workers', '2', '--worker-port', '0', '--user', 'alice:secret123',
      '--relay-ports', relayRange(), '--allow-peer', '127.0.0.0/8', '--rfc5766-channel-numbers',
    ]);
    peer = await startEchoPeer();
  }, 30_000);
  afterAll(async () => {
    await Promise.all([serve?.stop(), peer?.stop()]);
  });

  it('follows the redirect: 4 clients relay through the workers without loss', async () => {
    const r = await runUclient(['-p', String(serve.port), '-e', '127.0.0.1', '-r', String(peer.port), '-X', '-u', 'alice', '-w', 'secret123', '-n', '100', '-m', '4', '-l', '120']);
    const explain = `uclient exit ${r.code}\n${r.out.slice(-2500)}\n--- natkit serve ---\n${serve.output().slice(-3000)}`;
    expect(r.out, explain).toMatch(/error 300 \(Try Alternate\)/);
    expect(uclientPassed(r), explain).toBe(true);
    await serve.stop();
    const out = serve.output();
    expect(out, explain).toMatch(/natkit serve: relay stopped; .*"allocationsCreated":0,/);
    const created = [...out.matchAll(/worker \d relay stopped; .*"allocationsCreated":(\d+)/g)].map((m) => Number(m[1]));
    expect(created, explain).toHaveLength(2);
    expect(created.reduce((x, y) => x + y, 0), explain).toBeGreaterThanOrEqual(4);
  }, 90_000);
});
