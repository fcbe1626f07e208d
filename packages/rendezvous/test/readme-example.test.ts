import { expect, it } from 'vitest';
import { connectRendezvous, startRendezvousServer, type Introduction, type NatProfile } from '../src/index.js';
import { newIdentity } from './fixtures.js';

// The example of README.md, with its output captured instead of printed (and newIdentity() for
// Identity.generate(): see fixtures.ts).
it('the README example runs', async () => {
  const server = await startRendezvousServer({ host: '127.0.0.1', port: 0 }, {
    mintRelayCredentials: (peerId) => ({ username: `${Math.floor(Date.now() / 1000) + 600}:${peerId}`, password: '…', ttl: 600, urls: ['turn:203.0.113.1:3478'] }),
  });
  const nat: NatProfile = { ipv4: { udp: true, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: { pattern: 'preserving', step: null }, hairpinning: null, mappingLifetimeSeconds: null }, ipv6: null };
  const alice = await connectRendezvous({ url: server.url, identity: newIdentity(), nat, candidates: [{ type: 'srflx', address: '198.51.100.7', port: 40001 }] });
  const bob = await connectRendezvous({ url: server.url, identity: newIdentity(), nat, candidates: [] });

  const atBob = new Promise<Introduction>((resolve) => bob.on('introduce', resolve));
  const intro = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(5000) });
  expect(intro.peer.observed).toEqual(bob.observed);
  expect((await atBob).peer.candidates).toEqual([{ type: 'srflx', address: '198.51.100.7', port: 40001 }]);
  expect(alice.relay?.urls).toEqual(['turn:203.0.113.1:3478']);
  await alice.close();
  await bob.close();
  await server.close();
});
