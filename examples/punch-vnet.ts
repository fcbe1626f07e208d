import { formatEndpoint, type Network, type UdpSocket } from '@natkit/net';
import { createHmacAuthenticator, planPunch, startPunch, type NatProfile, type PeerDescription } from '@natkit/punch';
import { readXorMappedAddress, startStunServer, StunClient } from '@natkit/stun';
import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';

// Alice behind a port-restricted cone, Bob behind a symmetric NAT with random ports: the pair
// only the birthday paradox opens. A manual clock runs the 10 s attempt in milliseconds.
const clock = new ManualClock();
const vnet = createVirtualNetwork({ clock, seed: 1 });
const server = { address: '203.0.113.1', port: 3478 };
const stun = await startStunServer({ primary: server }, { network: vnet.createHost(vnet.internet, { ipv4: [server.address] }).network, clock });
const alice = vnet.createHost(vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone }), { ipv6: false });
const bob = vnet.createHost(vnet.createRouter(vnet.internet, { nat: natPresets.symmetric }), { ipv6: false });

// The profiles come from `diagnose()` (profileFromReport); the server-reflexive address from STUN.
const cone: NatProfile = { family: 4, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: 'preserving', delta: null, hairpinning: null };
const symmetric: NatProfile = { ...cone, mapping: 'address-and-port-dependent', allocation: 'random' };

async function gather(network: Network, profile: NatProfile): Promise<{ socket: UdpSocket; description: PeerDescription }> {
  const socket = await network.bindUdp({ family: 4 });
  const client = new StunClient({}, { socket, clock });
  const mapped = readXorMappedAddress((await clock.runUntil(client.request(server))).message);
  client.close();
  if (mapped === undefined) throw new Error('no server-reflexive address');
  return { socket, description: { profiles: [profile], candidates: [{ type: 'srflx', ...mapped, family: 4, verified: true }] } };
}

const a = await gather(alice.network, cone);
const b = await gather(bob.network, symmetric);
const planA = planPunch(a.description, b.description, { seed: 42 });
const planB = planPunch(b.description, a.description, { seed: 42 });
console.log(planA.strategy, 'P(direct) =', planA.successProbability.toFixed(3), 'Bob opens', planB.send.extraSockets, 'sockets');

// What the rendezvous hands both sides: a punch token (for the HMAC) and a fire time.
const authenticator = createHmacAuthenticator(new Uint8Array(32).fill(7));
const fireAt = clock.now() + 100;
const [ra, rb] = await clock.runUntil(
  Promise.all([
    startPunch({ plan: planA, socket: a.socket, fireAt, role: 'controlling', authenticator }, { network: alice.network, clock }).result,
    startPunch({ plan: planB, socket: b.socket, fireAt, role: 'controlled', authenticator }, { network: bob.network, clock }).result,
  ]),
);
for (const [who, r] of [['alice', ra], ['bob', rb]] as const) {
  console.log(who, r.ok ? `direct to ${formatEndpoint(r.remote)} after ${r.elapsedMs} ms, ${r.stats.sent} datagrams sent` : `relay: ${r.reason}`);
}
if (rb.ok && rb.ownsSocket) await rb.socket.close(); // one of Bob's 256 sockets won: it is his now
await stun.close();
await vnet.close();
