import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { connectRendezvous, type NatProfile } from '@natkit/rendezvous';
import { describe, expect, it } from 'vitest';
import { spawnNatkit, START_BUDGET_MS, stopNatkit, waitForOutput } from './natkit-process.js';

const NAT: NatProfile = { ipv4: null, ipv6: null };

describe('natkit serve: the rendezvous on the TCP port', () => {
  it('registers two peers over WebSocket on the STUN/TURN port, hands out relay credentials minted by the relay and introduces them', async () => {
    const serve = spawnNatkit(['serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn']);
    try {
      const url = (await waitForOutput(serve, /the rendezvous \(WebSocket, natkit-rendezvous\.v\d+\) there at (ws:\/\/127\.0\.0\.1:\d+\/rendezvous)/))[1] ?? '';
      const out = serve.out();
      const port = Number(/:(\d+)\//.exec(url)?.[1]);
      expect(out).toMatch(new RegExp(`STUN .* on UDP 127\\.0\\.0\\.1:${port}\\b`)); // one port number
      const alice = await connectRendezvous({ url, identity: Identity.fromSeed(randomBytes(32)), nat: NAT, candidates: [] });
      const bob = await connectRendezvous({ url, identity: Identity.fromSeed(randomBytes(32)), nat: NAT, candidates: [{ type: 'host', address: '127.0.0.1', port: 40000 }] });
      try {
        expect(alice.observed.address).toBe('127.0.0.1');
        expect(alice.relay?.username).toMatch(new RegExp(`^\\d+:${alice.peerId}$`));
        expect(alice.relay?.ttl).toBe(600);
        const intro = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(5000) });
        expect(intro.peer.peerId).toBe(bob.peerId);
        expect(intro.peer.candidates).toEqual([{ type: 'host', address: '127.0.0.1', port: 40000 }]);
      } finally {
        await alice.close();
        await bob.close();
      }
    } finally {
      expect(await stopNatkit(serve)).toBe(0);
    }
  }, START_BUDGET_MS + 20_000);
});
