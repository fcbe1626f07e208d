/**
 * A natkit server on the virtual network, for createPeer pairs behind virtual NATs: STUN (two
 * addresses, RFC 5780) and TURN share 203.0.113.1:3478 as in `natkit serve`, and the rendezvous
 * hands out the relay's REST credentials. The vnet has no TCP, so each peer reaches the
 * rendezvous over a loopback TCP listener of its own, which presents the connection to the
 * rendezvous as coming from that peer's NAT public address: what a WebSocket through the NAT
 * would show (the rendezvous then binds the peer's candidates to that address, as in the lab).
 * Real time (the rendezvous is real I/O): the vnet runs on the system clock.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Identity } from '@natkit/identity';
import { systemClock, type Endpoint, type Network, type UdpSocket } from '@natkit/net';
import { createRendezvousServer, type ByteStream, type RendezvousServer } from '@natkit/rendezvous';
import { startStunServer } from '@natkit/stun';
import { createTurnServer, type TurnServer } from '@natkit/turn';
import { createVirtualNetwork, type NatOptions, type Router, type VirtualHost, type VirtualNetwork } from '@natkit/vnet';
import { createPeer, type Peer, type PeerOptions } from '../../src/index.js';

export const SERVER = { address: '203.0.113.1', port: 3478 };
const ALTERNATE = { address: '203.0.113.2', port: 3479 };
export const SERVER6 = { address: '2001:db8::1', port: 3478 };
const ALTERNATE6 = { address: '2001:db8::2', port: 3479 };

export interface SiteOptions {
  readonly loss?: number;
  readonly ipv6?: boolean;
  /** A fault made on purpose: the peer's datagrams for which this returns true are not sent. */
  readonly dropSend?: (data: Uint8Array, to: Endpoint) => boolean;
  /** Wraps the host's network (e.g. to make a fault in what it sends or receives). */
  readonly wrap?: (n: Network) => Network;
}

export interface VnetSite {
  readonly vnet: VirtualNetwork;
  /** A peer behind a new NAT with `nat` behaviors, or behind `router` (same NAT as another peer). */
  addPeer(nat: NatOptions | Router, options?: Partial<PeerOptions> & SiteOptions): Promise<{ peer: Peer; network: Network; sent: Endpoint[]; router: Router; host: VirtualHost }>;
  /** A rendezvous URL whose connections appear to come from behind `router`. */
  rendezvousUrlFor(router: Router): Promise<string>;
  close(): Promise<void>;
}

/** `relayTtlSeconds`: lifetime of the relay credentials the rendezvous hands out (default 600, as natkit serve). */
export async function startVnetSite(seed: number, options: { readonly relayTtlSeconds?: number } = {}): Promise<VnetSite> {
  const ttl = options.relayTtlSeconds ?? 600;
  const vnet = createVirtualNetwork({ seed, clock: systemClock });
  const serverHost = vnet.createHost(vnet.internet, { ipv4: [SERVER.address, ALTERNATE.address], ipv6: [SERVER6.address, ALTERNATE6.address] });
  const turn: TurnServer = createTurnServer({ relayPorts: { low: 50000, high: 50999 }, allowPeers: ['203.0.113.0/24', '2001:db8::/32'] }, { network: serverHost.network, clock: systemClock });
  const network: Network = {
    bindUdp: async (o) => {
      const s = await serverHost.network.bindUdp(o);
      turn.attachUdpSocket(s);
      return s;
    },
    localAddressFor: (r) => serverHost.network.localAddressFor(r),
  };
  const stun = await startStunServer({ primary: SERVER, alternate: ALTERNATE }, { network, clock: systemClock });
  const stun6 = await startStunServer({ primary: SERVER6, alternate: ALTERNATE6 }, { network, clock: systemClock });
  const rendezvous = createRendezvousServer({}, {
    mintRelayCredentials: (peerId) => {
      const c = turn.mintCredentials(peerId, ttl);
      return { username: c.username, password: c.password, ttl, urls: [] };
    },
  });
  const listeners: Server[] = [];
  const peers: Peer[] = [];
  return {
    vnet,
    async addPeer(nat, options = {}) {
      const link = { latencyMs: 2, loss: options.loss ?? 0 };
      const router = 'natTable' in nat ? nat : vnet.createRouter(vnet.internet, { nat, link, nat66: false });
      const publicAddress = router.externalAddresses.find((a) => !a.includes(':')) ?? '';
      const v6 = options.ipv6 === true;
      const host = vnet.createHost(router, { ipv6: v6 });
      const sent: Endpoint[] = [];
      const observed = observingNetwork(options.wrap === undefined ? host.network : options.wrap(host.network), sent, options.dropSend);
      // Over IPv6 (no NAT66: a stateful firewall) the rendezvous sees the host's own address.
      const url = await rendezvousListener(rendezvous, listeners, v6 ? (host.addresses.find((a) => a.includes(':')) ?? '') : publicAddress);
      const peerOptions: Partial<PeerOptions> & { -readonly [K in keyof SiteOptions]: SiteOptions[K] } = { ...options };
      delete peerOptions.loss;
      delete peerOptions.ipv6;
      delete peerOptions.dropSend;
      delete peerOptions.wrap;
      const peer = await createPeer({ server: v6 ? SERVER6 : SERVER, identity: Identity.generate(), rendezvousUrl: url, watchNetworkMs: false, ...peerOptions }, { network: observed });
      peers.push(peer);
      return { peer, network: observed, sent, router, host };
    },
    rendezvousUrlFor: (router) => rendezvousListener(rendezvous, listeners, router.externalAddresses.find((a) => !a.includes(':')) ?? ''),
    async close() {
      await Promise.allSettled(peers.map((p) => p.close()));
      await rendezvous.close();
      for (const l of listeners) l.close();
      await stun.close();
      await stun6.close();
      await turn.close();
      await vnet.close();
    },
  };
}

/** Records every destination the peer's sockets send to (the test checks nothing went astray). */
function observingNetwork(base: Network, sent: Endpoint[], drop?: (data: Uint8Array, to: Endpoint) => boolean): Network {
  return {
    bindUdp: async (o) => {
      const s = await base.bindUdp(o);
      const wrapped: UdpSocket = {
        local: s.local,
        family: s.family,
        send: (d, to) => {
          if (drop?.(d, to) === true) return;
          if (sent.length < 100_000) sent.push({ address: to.address, port: to.port });
          s.send(d, to);
        },
        onMessage: (h) => s.onMessage(h),
        onError: (h) => s.onError(h),
        close: () => s.close(),
        [Symbol.asyncDispose]: () => s.close(),
      };
      return wrapped;
    },
    localAddressFor: (r) => base.localAddressFor(r),
  };
}

/** A loopback TCP listener whose connections reach the rendezvous as coming from `claimed`. */
async function rendezvousListener(rendezvous: RendezvousServer, listeners: Server[], claimed: string): Promise<string> {
  let port = 40000;
  const server = createServer((socket) => {
    socket.once('data', (first: Buffer) => {
      socket.pause();
      rendezvous.handleStream(byteStream(socket, { address: claimed, port: port++ }), new Uint8Array(first));
    });
  });
  listeners.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return `ws://127.0.0.1:${address.port}/rendezvous`;
}

function byteStream(socket: Socket, remote: Endpoint): ByteStream {
  return {
    remote,
    write: (data) => (socket.destroyed ? 'closed' : (socket.write(data), 'queued')),
    onData: (handler) => {
      const f = (d: Buffer): void => handler(new Uint8Array(d));
      socket.on('data', f);
      socket.resume();
      return () => socket.off('data', f);
    },
    onClose: (handler) => {
      const f = (): void => handler();
      socket.on('close', f);
      return () => socket.off('close', f);
    },
    close: () => new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.end(() => resolve());
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 200).unref();
    }),
  };
}
