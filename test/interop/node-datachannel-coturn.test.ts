import { afterAll, beforeAll, expect, it } from 'vitest';
import { turnUrl } from '@natkit/turn';
import { describeWithTools, startCoturn, startServers, type Coturn } from './turn-client-coturn.js';
import { onlyRelayCandidates, restCredentialsWithPlusAndSlash } from './node-datachannel-credentials.js';
import { openRelayedPair, RELAY_ONLY_ADDRESS, RELAYED_BOTH_ENDS } from './node-datachannel-pair.js';

/*
 * Control experiment: node-datachannel (libdatachannel 0.24 + libjuice) through coturn, the
 * reference server, with relay-only ICE. The same cases run against natkit serve in
 * node-datachannel-natkit.test.ts. coturn relays from RELAY_ONLY_ADDRESS, so the only pair that can
 * work is relay to relay, and each case checks both peers selected it.
 */
const TIMEOUT_MS = 10_000;

describeWithTools('node-datachannel through coturn (control)', ['turnserver'], () => {
  let staticServer: Coturn;
  let restServer: Coturn;
  const secret = 'ndc-control-secret';
  beforeAll(async () => {
    [staticServer, restServer] = await startServers([startCoturn({ users: ['alice:secret'], relayIp: RELAY_ONLY_ADDRESS }), startCoturn({ authSecret: secret, relayIp: RELAY_ONLY_ADDRESS })]);
  });
  afterAll(async () => {
    await Promise.all([staticServer?.stop(), restServer?.stop()]);
  });

  it('opens a data channel relay-only with static credentials (URL form)', async () => {
    const r = await openRelayedPair(`turn:alice:secret@127.0.0.1:${staticServer.port}`, TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
  });

  it('opens a data channel with REST credentials whose password holds + and / (turnUrl, percent-encoded)', async () => {
    const c = restCredentialsWithPlusAndSlash(secret, Date.now() / 1000);
    const r = await openRelayedPair(turnUrl({ host: '127.0.0.1', port: restServer.port, ...c }), TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
  });

  it('opens a data channel with the same credentials in the object form', async () => {
    const c = restCredentialsWithPlusAndSlash(secret, Date.now() / 1000);
    const r = await openRelayedPair({ hostname: '127.0.0.1', port: restServer.port, username: c.username, password: c.password, relayType: 'TurnUdp' }, TIMEOUT_MS);
    expect(r.echoed).toBe('echo:hello through the relay');
    expect(onlyRelayCandidates(r.candidates)).toBe(true);
    expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
  });

  it('fails with a raw `turn:expiry:user:pass@` URL: libdatachannel splits user and password at the first colon', async () => {
    const c = restCredentialsWithPlusAndSlash(secret, Date.now() / 1000);
    const raw = `turn:${c.username}:${c.password}@127.0.0.1:${restServer.port}`;
    await expect(openRelayedPair(raw, 4000)).rejects.toThrow(/no data channel/);
  });
});
