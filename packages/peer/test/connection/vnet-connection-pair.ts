import { silentLogger, type Endpoint, type UdpSocket } from '@natkit/net';
import { createVirtualNetwork, ManualClock, type NatOptions, type Router, type VirtualHost, type VirtualNetwork } from '@natkit/vnet';
import { PeerConnection, resolveConnectionTiming, simultaneousOpen, type ConnectionTimingOptions, type DirectPathFinder } from '../../src/index.js';
import { establish } from '../session/pair.js';

/** One side: a host behind its own NAT, a socket that can be replaced (rebinding) or cut (a vanished peer). */
export class VnetSide {
  socket!: UdpSocket;
  connection!: PeerConnection;
  /** Set: nothing leaves or arrives (the process died, or its network went away). */
  dead = false;
  /** Set: direct traffic of this side is dropped both ways (the direct path broke). */
  cut = false;
  readonly sent: { at: number; to: Endpoint }[] = [];
  readonly finderStarts: number[] = [];

  constructor(
    readonly host: VirtualHost,
    readonly nat: Router,
    readonly port: number,
  ) {}

  /** Where the peer reaches us (a NAT that preserves ports). */
  get publicEndpoint(): Endpoint {
    return { address: this.nat.externalAddresses[0]!, port: this.port };
  }

  async bind(port = this.port): Promise<void> {
    const socket = await this.host.network.bindUdp({ family: 4, port });
    socket.onMessage((data, from) => {
      if (socket !== this.socket || this.dead || this.cut) return;
      this.connection.receive(data, { via: 'socket', to: from });
    });
    this.socket = socket;
  }

  /** The NAT rebinding the peer sees: a new local socket, hence a new mapping with a new public port. */
  async rebind(): Promise<void> {
    const old = this.socket;
    await this.bind(0);
    await old.close();
  }
}

export interface PairOptions {
  readonly natA?: NatOptions;
  readonly natB?: NatOptions;
  readonly timingA?: ConnectionTimingOptions;
  readonly timingB?: ConnectionTimingOptions;
  readonly finder?: DirectPathFinder;
  readonly seed?: number;
}

/**
 * Two PeerConnections over a real Noise session, each behind its own virtual NAT, wired to real
 * virtual UDP sockets: no relay (the relay path is proven with natkit serve on loopback and in the lab).
 */
export async function connectedPair(options: PairOptions): Promise<{ clock: ManualClock; vnet: VirtualNetwork; a: VnetSide; b: VnetSide }> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: options.seed ?? 11 });
  const natA = vnet.createRouter(vnet.internet, { nat: options.natA ?? {} });
  const natB = vnet.createRouter(vnet.internet, { nat: options.natB ?? {} });
  const a = new VnetSide(vnet.createHost(natA), natA, 40_000);
  const b = new VnetSide(vnet.createHost(natB), natB, 50_000);
  await a.bind();
  await b.bind();
  const pair = establish({ now: clock.now() });
  const finder = options.finder ?? simultaneousOpen();
  for (const [side, other, session, timing] of [[a, b, pair.initiator, options.timingA ?? {}], [b, a, pair.responder, options.timingB ?? {}]] as const) {
    side.connection = new PeerConnection({
      session,
      transport: {
        local: side.socket.local,
        relay: null,
        send: (bytes, route) => {
          if (side.dead || side.cut) return;
          side.sent.push({ at: clock.now(), to: route.to });
          side.socket.send(bytes, route.to);
        },
      },
      finder: { strategy: finder.strategy, start: (attempt, c) => (side.finderStarts.push(c.now()), finder.start(attempt, c)) },
      peerRelays: [],
      directTargets: [other.publicEndpoint],
      relayRoute: null,
      startedAt: clock.now(),
      timing: resolveConnectionTiming(timing),
      clock,
      logger: silentLogger,
      onClosed: () => undefined,
    });
  }
  a.connection.startDirect(clock.now());
  b.connection.startDirect(clock.now());
  return { clock, vnet, a, b };
}

