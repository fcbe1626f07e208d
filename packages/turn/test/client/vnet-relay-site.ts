/**
 * natkit's TURN server on the virtual network with a manual clock, a client host and an echo-less
 * peer host, for the client's I/O-adapter tests.
 */
import type { Endpoint, UdpSocket } from '@natkit/net';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { allocateRelay, createTurnServer, type TurnAllocation, type TurnQuotas } from '../../src/index.js';

export async function vnetRelaySite(quotas: TurnQuotas = {}) {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 7 });
  const serverHost = vnet.createHost(vnet.internet);
  const address = serverHost.addresses[0] ?? '';
  const socket = await serverHost.network.bindUdp({ family: 4, address, port: 3478 });
  const server = createTurnServer(
    { users: new Map([['alice', 'alice-pw']]), realm: 'vnet.test', relayPorts: { low: 50000, high: 50099 }, quotas },
    { network: serverHost.network, clock, wallSeconds: () => 1_700_000_000 + clock.now() / 1000 },
  );
  server.attachUdpSocket(socket);
  const clientHost = vnet.createHost(vnet.internet);
  const peerHost = vnet.createHost(vnet.internet);
  const peer = await peerHost.network.bindUdp({ family: 4, address: peerHost.addresses[0] ?? '' });
  const atPeer: { data: string; from: Endpoint }[] = [];
  peer.onMessage((d, from) => atPeer.push({ data: Buffer.from(d).toString(), from }));
  const allocate = (password = 'alice-pw'): Promise<TurnAllocation> =>
    clock.runUntil(allocateRelay({ server: { address, port: 3478 }, credentials: { username: 'alice', password } }, { network: clientHost.network, clock }));
  return { clock, server, serverSocket: socket, serverAddress: { address, port: 3478 }, clientNetwork: clientHost.network, peerNetwork: peerHost.network, peer, atPeer, allocate };
}

export function collect(socket: UdpSocket): { data: string; from: Endpoint }[] {
  const got: { data: string; from: Endpoint }[] = [];
  socket.onMessage((d, from) => got.push({ data: Buffer.from(d).toString(), from }));
  return got;
}
