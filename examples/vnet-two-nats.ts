import { createVirtualNetwork, ManualClock, natPresets } from '@natkit/vnet';

const clock = new ManualClock();
const vnet = createVirtualNetwork({ clock, seed: 1 });
const natA = vnet.createRouter(vnet.internet, { name: 'natA', nat: natPresets.portRestrictedCone });
const natB = vnet.createRouter(vnet.internet, { name: 'natB', nat: natPresets.fullCone });
const a = await vnet.createHost(natA).network.bindUdp({ family: 4, port: 4000 });
const b = await vnet.createHost(natB).network.bindUdp({ family: 4, port: 5000 });
const [aAddress] = natA.externalAddresses;
const [bAddress] = natB.externalAddresses;
if (aAddress === undefined || bAddress === undefined) throw new Error('a NAT without an external address');
const aPublic = { address: aAddress, port: 4000 }; // ports are preserved
const bPublic = { address: bAddress, port: 5000 };

vnet.onDrop((d) => console.log('dropped:', d.reason, 'at', d.node)); // dropped: no-mapping at natB
a.send(new TextEncoder().encode('punch'), bPublic); // opens NAT A towards B

const got = new Promise<string>((resolve) => {
  a.onMessage((data, from) => resolve(`${new TextDecoder().decode(data)} from ${from.address}:${from.port}`));
});
b.send(new TextEncoder().encode('hello'), aPublic);
console.log(await clock.runUntil(got)); // hello from 203.0.113.11:5000
await vnet.close();
