import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTools } from './turn-client-coturn.js';
import { startNatkitServe, type NatkitServe } from './turn-client-natkit.js';
import { onlyRelayCandidates } from './node-datachannel-credentials.js';
import { openRelayedPair, RELAY_ONLY_ADDRESS, RELAYED_BOTH_ENDS } from './node-datachannel-pair.js';

/*
 * node-datachannel (libdatachannel + libjuice, an independent TURN client) relay-only through
 * `natkit serve --workers 2`: its UDP Allocate gets 300 ALTERNATE-SERVER from the primary, and
 * it names itself by USERHASH (RFC 8489), which the workers offer and resolve as one process does.
 */
const TIMEOUT_MS = 10_000;

describeWithTools('node-datachannel through natkit serve --workers 2 (300 redirects)', [], () => {
  let serve: NatkitServe;
  beforeAll(async () => {
    // Relayed from another address than the peers' own, so that only relay to relay can work (node-datachannel-natkit.test.ts).
    serve = await startNatkitServe({ users: ['alice:secret'], relayAddress: RELAY_ONLY_ADDRESS, extraArgs: ['--workers', '2', '--worker-port', '0'] });
    const deadline = Date.now() + 15_000;
    while (!/shared by the 2 workers/.test(serve.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(serve.output()).toMatch(/shared by the 2 workers/);
  }, 30_000);
  afterAll(async () => {
    await serve?.stop();
  });

  it('libjuice follows the redirect: the data channel opens relay-only and the allocations are in the workers', async () => {
    const r = await openRelayedPair(`turn:alice:secret@127.0.0.1:${serve.port}`, TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
    await serve.stop();
    const out = serve.output();
    expect(out).toMatch(/natkit serve: relay stopped; .*"responses":\{"300":\d+.*"allocationsCreated":0,/);
    const created = [...out.matchAll(/worker \d relay stopped; .*"allocationsCreated":(\d+)/g)].map((m) => Number(m[1]));
    expect(created.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2);
    // libjuice named itself by USERHASH (offered with --user under --workers too) and was found there.
    const byHash = [...out.matchAll(/worker \d relay stopped; .*"userhash":(\d+)/g)].map((m) => Number(m[1]));
    expect(byHash.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
