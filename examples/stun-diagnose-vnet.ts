import { createStunServer, diagnose } from '@natkit/stun';
import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';

// An RFC 5780 server on the virtual internet, a client behind a symmetric NAT, and a manual
// clock: the whole diagnosis runs in a few milliseconds of real time.
const clock = new ManualClock();
const vnet = createVirtualNetwork({ clock, seed: 1 });
const serverHost = vnet.createHost(vnet.internet, { ipv4: ['203.0.113.1', '203.0.113.2'], ipv6: false });
const server = createStunServer(
  { primary: { address: '203.0.113.1', port: 3478 }, alternate: { address: '203.0.113.2' } },
  { network: serverHost.network, clock },
);
await server.start();
const client = vnet.createHost(vnet.createRouter(vnet.internet, { nat: natPresets.symmetric }));
const report = await clock.runUntil(diagnose({ servers: '203.0.113.1:3478', families: [4] }, { network: client.network, clock }));
if (report.ipv4 !== null) {
  const { classic, mapping, filtering, portAllocation } = report.ipv4;
  console.log(classic, mapping, filtering, portAllocation.pattern); // symmetric address-and-port-dependent address-and-port-dependent random
}
await server.close();
await vnet.close();
