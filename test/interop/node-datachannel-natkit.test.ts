import { afterAll, beforeAll, expect, it } from 'vitest';
import { turnUrl } from '@natkit/turn';
import { describeWithTools } from './turn-client-coturn.js';
import { startNatkitServe, type NatkitServe } from './turn-client-natkit.js';
import { onlyRelayCandidates, restCredentialsWithPlusAndSlash } from './node-datachannel-credentials.js';
import { openRelayedPair, RELAY_ONLY_ADDRESS, RELAYED_BOTH_ENDS } from './node-datachannel-pair.js';

/*
 * Two node-datachannel peers (libdatachannel + libjuice, an independent TURN client) open a data
 * channel relay-only through `natkit serve` (--allow-peer 127.0.0.0/8), with static and with REST
 * credentials. The REST passwords are forced to hold both `+` and `/`. natkit serve relays from
 * RELAY_ONLY_ADDRESS, so the only pair that can work is relay to relay, and each case checks both
 * peers selected it.
 */
const TIMEOUT_MS = 10_000;
const secret = 'ndc-natkit-secret';

describeWithTools('node-datachannel through natkit serve', [], () => {
  let serve: NatkitServe;
  beforeAll(async () => {
    serve = await startNatkitServe({ users: ['alice:secret'], authSecrets: [secret], relayAddress: RELAY_ONLY_ADDRESS });
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('opens a data channel relay-only with static credentials (URL form)', async () => {
    const r = await openRelayedPair(`turn:alice:secret@127.0.0.1:${serve.port}`, TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
  });

  for (let round = 0; round < 3; round++) {
    it(`opens a data channel with REST credentials holding + and / (turnUrl), run ${round + 1}`, async () => {
      const c = restCredentialsWithPlusAndSlash(secret, Date.now() / 1000 + round * 7);
      const r = await openRelayedPair(turnUrl({ host: '127.0.0.1', port: serve.port, ...c }), TIMEOUT_MS);
      expect(r.echoed).toBe('echo:hello through the relay');
      expect(onlyRelayCandidates(r.candidates)).toBe(true);
      expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
    });
  }

  it('opens a data channel with REST credentials holding + and / in the object form', async () => {
    const c = restCredentialsWithPlusAndSlash(secret, Date.now() / 1000 + 100);
    const r = await openRelayedPair({ hostname: '127.0.0.1', port: serve.port, username: c.username, password: c.password, relayType: 'TurnUdp' }, TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
  });
});

describeWithTools('node-datachannel through natkit serve with static users only (RFC 8489 anonymity offered)', [], () => {
  it('opens a data channel while libjuice names itself by USERHASH (the server counts it)', async () => {
    const serve = await startNatkitServe({ users: ['alice:secret'], relayAddress: RELAY_ONLY_ADDRESS, extraArgs: ['--log-level', 'info'] });
    try {
      const r = await openRelayedPair(`turn:alice:secret@127.0.0.1:${serve.port}`, TIMEOUT_MS);
      expect(r.echoed).toBe('echo:hello through the relay');
      expect(onlyRelayCandidates(r.candidates)).toBe(true);
      expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
    } finally {
      await serve.stop();
    }
    // natkit serve prints its counters when it stops.
    const stats = /relay stopped; (\{.*\})/.exec(serve.output())?.[1];
    expect(stats).toBeDefined();
    expect((JSON.parse(stats ?? '{}') as { userhash?: number }).userhash).toBeGreaterThan(0);
  });
});
