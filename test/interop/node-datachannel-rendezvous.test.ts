import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '@natkit/identity';
import { connectRendezvous, RENDEZVOUS_PATH, type RelayCredentials, type RendezvousClient } from '@natkit/rendezvous';
import { restCredentials } from '@natkit/turn';
import { describeInterop } from '../lab/harness/index.js';
import { onlyRelayCandidates } from './node-datachannel-credentials.js';
import { openRelayedPair, RELAY_ONLY_ADDRESS, RELAYED_BOTH_ENDS, type IceServerEntry } from './node-datachannel-pair.js';
import { startNatkitServe, type NatkitServe } from './turn-client-natkit.js';

/*
 * Issue 7: "node-datachannel works with natkit's relay and rendezvous-issued credentials". Two
 * peers register at the rendezvous of `natkit serve` (on loopback, its TCP port) with
 * @natkit/rendezvous's client; each takes the relay credentials the server hands it in
 * `registered.relay`, and two node-datachannel peers (libjuice, an independent TURN client) open a
 * data channel relay-only, each with its own peer's credentials: as an application that uses natkit
 * only for the rendezvous would. Once with the server's own generated secret (no auth flags: what a
 * self-hoster runs), once with a configured --auth-secret.
 */
const TIMEOUT_MS = 10_000;

async function register(serve: NatkitServe): Promise<RendezvousClient> {
  return connectRendezvous({
    url: `ws://127.0.0.1:${serve.port}${RENDEZVOUS_PATH}`,
    identity: Identity.fromSeed(randomBytes(32)),
    nat: { ipv4: null, ipv6: null },
    candidates: [],
    timeoutMs: 5_000,
  });
}

/** node-datachannel's object form (safe for `+` and `/` in REST passwords) from the rendezvous' credentials. */
function iceServerFrom(relay: RelayCredentials, serve: NatkitServe): IceServerEntry {
  // `urls` lists the advertised addresses; without --advertise-address peers use the one they reached.
  const url = relay.urls[0];
  const m = url === undefined ? null : /^turn:(\[[^\]]+\]|[^:]+):(\d+)/.exec(url);
  const hostname = m?.[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1';
  const port = m?.[2] === undefined ? serve.port : Number(m[2]);
  return { hostname, port, username: relay.username, password: relay.password, relayType: 'TurnUdp' };
}

function suite(name: string, options: { authSecrets?: readonly string[]; users?: readonly string[] }, extra?: (clients: () => readonly RendezvousClient[]) => void): void {
  describe(name, () => {
    let serve: NatkitServe;
    const clients: RendezvousClient[] = [];
    beforeAll(async () => {
      // Relayed from another address than the peers' own, so that only relay to relay can work (node-datachannel-natkit.test.ts).
      serve = await startNatkitServe({ ...options, relayAddress: RELAY_ONLY_ADDRESS });
      clients.push(await register(serve), await register(serve));
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await serve?.stop();
    });

    it('hands each registered peer its own short-lived relay credentials', () => {
      const [a, b] = clients;
      for (const c of clients) {
        expect(c.relay, 'registered.relay').not.toBeNull();
        // The TURN REST scheme: `expiry:user`, the user being the peer id.
        expect(c.relay!.username).toMatch(new RegExp(`^\\d+:${c.peerId}$`));
        expect(c.relay!.ttl).toBeGreaterThan(0);
        const expiry = Number(c.relay!.username.split(':')[0]);
        // The server moves the expiry up to 64 s later to find a password without `+` or `/`.
        expect(expiry - Date.now() / 1000).toBeGreaterThan(c.relay!.ttl - 30);
        expect(expiry - Date.now() / 1000).toBeLessThanOrEqual(c.relay!.ttl + 64 + 5);
      }
      expect(a!.relay!.password).not.toBe(b!.relay!.password);
    });

    it('opens a node-datachannel data channel relay-only, each peer with its own rendezvous-issued credentials', async () => {
      const [a, b] = clients;
      const r = await openRelayedPair(iceServerFrom(a!.relay!, serve), TIMEOUT_MS, iceServerFrom(b!.relay!, serve));
      expect(r.echoed).toBe('echo:hello through the relay');
      expect(onlyRelayCandidates(r.candidates), r.candidates.join('\n')).toBe(true);
      // Both ends send through natkit serve's relayed addresses, never a host or reflexive candidate.
      expect(r.selectedPairs).toEqual(RELAYED_BOTH_ENDS);
      expect(r.selectedLocal).toMatch(new RegExp(`^${RELAY_ONLY_ADDRESS.replaceAll('.', '\\.')}:\\d+$`));
    });

    it('refuses the relay to credentials the rendezvous did not issue (a forged password)', async () => {
      const [a, b] = clients;
      const forged = { ...a!.relay!, password: Buffer.from(randomBytes(20)).toString('base64') };
      await expect(openRelayedPair(iceServerFrom(forged, serve), 3_000, iceServerFrom(b!.relay!, serve))).rejects.toThrow(/no data channel/);
    });

    extra?.(() => clients);
  });
}

describeInterop("node-datachannel with the relay credentials natkit's rendezvous hands out", { nativeModules: ['node-datachannel'] }, () => {
  suite('natkit serve with no auth flags (its own generated secret)', {});

  // Static users only: the server still generates a secret for the credentials its rendezvous
  // issues (never an empty one), and libjuice, offered USERHASH there, names itself by hash.
  suite('natkit serve --user only (static users, no --auth-secret)', { users: ['alice:alice-pw'] });

  const secret = 'ndc-rendezvous-secret';
  suite('natkit serve --auth-secret', { authSecrets: [secret] }, (clients) => {
    it('mints them from the configured secret (the TURN REST scheme, HMAC-SHA1)', () => {
      for (const c of clients()) {
        const expiry = Number(c.relay!.username.split(':')[0]);
        const expected = restCredentials({ secret, user: c.peerId, nowSeconds: expiry - c.relay!.ttl, ttlSeconds: c.relay!.ttl });
        expect(expected.username).toBe(c.relay!.username);
        expect(expected.password).toBe(c.relay!.password);
      }
    });
  });
});
