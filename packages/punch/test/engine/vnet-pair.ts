/**
 * Two peers behind two virtual NATs, a STUN server on the virtual internet, one manual clock:
 * each peer learns its server-reflexive address with a real STUN Binding, both plan and punch,
 * and the result is checked by sending data over the selected 5-tuples both ways. Every datagram
 * the peers send is recorded (an observer over the vnet sockets), so a test can check that
 * nothing went to an address not bound to the peer.
 */
import type { Endpoint, Network, UdpSocket } from '@natkit/net';
import { readXorMappedAddress, startStunServer, StunClient } from '@natkit/stun';
import { createVirtualNetwork, ManualClock, type NatOptions, type VirtualNetwork } from '@natkit/vnet';
import {
  createHmacAuthenticator,
  planPunch,
  startPunch,
  type NatProfile,
  type PeerDescription,
  type PunchLimits,
  type PunchPlan,
  type PunchResult,
} from '../../src/index.js';

export const STUN_SERVER = { address: '203.0.113.1', port: 3478 };

export interface PairOptions {
  readonly seed: number;
  readonly natA: NatOptions;
  readonly natB: NatOptions;
  readonly loss?: number;
  readonly latencyMs?: number;
  readonly limits?: Partial<PunchLimits>;
  /** Both behind one NAT (`natA`). */
  readonly sameNat?: boolean;
  /** B's punch token (default: A's): a different one must never give a direct path. */
  readonly tokenB?: Uint8Array;
  /** Aborts both attempts this long after the fire time. */
  readonly abortAfterMs?: number;
}

export interface PairOutcome {
  readonly planA: PunchPlan;
  readonly planB: PunchPlan;
  readonly resultA: PunchResult;
  readonly resultB: PunchResult;
  /** 'direct': both selected a pair and data crossed it both ways. */
  readonly outcome: 'direct' | 'relay' | 'inconsistent';
  /** Destinations each side's sockets sent to after planning (punch datagrams only). */
  readonly sentA: readonly Endpoint[];
  readonly sentB: readonly Endpoint[];
  readonly openSocketsAfter: number;
}

/** The planner's profile of a vnet NAT configuration (what `diagnose` reports for it). */
export function profileOf(nat: NatOptions): NatProfile {
  const allocation = nat.portAllocation ?? 'preserve';
  return {
    family: 4,
    mapping: nat.mapping ?? 'endpoint-independent',
    filtering: nat.filtering ?? 'address-and-port-dependent',
    allocation: allocation === 'preserve' ? 'preserving' : allocation,
    delta: allocation === 'sequential' ? (nat.delta ?? 1) : null,
    hairpinning: nat.hairpinning ?? false,
  };
}

export async function runPair(o: PairOptions): Promise<PairOutcome> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: o.seed });
  try {
    const serverHost = vnet.createHost(vnet.internet, { ipv4: [STUN_SERVER.address], ipv6: false });
    const server = await startStunServer({ primary: STUN_SERVER }, { network: serverHost.network, clock });
    const link = { latencyMs: o.latencyMs ?? 0, loss: o.loss ?? 0 };
    const routerA = vnet.createRouter(vnet.internet, { nat: o.natA, link });
    const routerB = o.sameNat === true ? routerA : vnet.createRouter(vnet.internet, { nat: o.natB, link });
    const hostA = vnet.createHost(routerA, { ipv6: false });
    const hostB = vnet.createHost(routerB, { ipv6: false });
    const a = await setUp(hostA.network, hostA.addresses[0]!, profileOf(o.natA), clock);
    const b = await setUp(hostB.network, hostB.addresses[0]!, profileOf(o.sameNat === true ? o.natA : o.natB), clock);
    const options = o.limits === undefined ? { seed: o.seed } : { seed: o.seed, limits: o.limits };
    const planA = planPunch(a.description, b.description, options);
    const planB = planPunch(b.description, a.description, options);
    const token = new Uint8Array(32).fill(o.seed & 0xff);
    const fireAt = clock.now() + 50;
    const common = { fireAt, authenticator: createHmacAuthenticator(token) };
    a.record.length = 0;
    b.record.length = 0;
    const abort = new AbortController();
    const authB = o.tokenB === undefined ? common.authenticator : createHmacAuthenticator(o.tokenB);
    const attemptA = startPunch({ ...common, plan: planA, socket: a.socket, role: 'controlling', signal: abort.signal }, { network: a.network, clock });
    const attemptB = startPunch({ ...common, authenticator: authB, plan: planB, socket: b.socket, role: 'controlled', signal: abort.signal }, { network: b.network, clock });
    if (o.abortAfterMs !== undefined) clock.setTimeout(() => abort.abort(), fireAt - clock.now() + o.abortAfterMs);
    const [resultA, resultB] = await clock.runUntil(Promise.all([attemptA.result, attemptB.result]), { maxMs: 120_000 });
    const outcome = await checkPath(resultA, resultB, clock);
    const sentA = [...a.record];
    const sentB = [...b.record];
    for (const r of [resultA, resultB]) if (r.ok && r.ownsSocket) await r.socket.close();
    await a.socket.close();
    await b.socket.close();
    await server.close();
    return { planA, planB, resultA, resultB, outcome, sentA, sentB, openSocketsAfter: hostA.openSockets + hostB.openSockets };
  } finally {
    await vnet.close();
  }
}

interface PeerSetup {
  readonly socket: UdpSocket;
  readonly network: Network;
  readonly description: PeerDescription;
  readonly record: Endpoint[];
}

async function setUp(inner: Network, hostAddress: string, profile: NatProfile, clock: ManualClock): Promise<PeerSetup> {
  const record: Endpoint[] = [];
  const network = recordingNetwork(inner, record);
  const socket = await network.bindUdp({ family: 4 });
  const stun = new StunClient({}, { socket, clock });
  const response = await clock.runUntil(stun.request(STUN_SERVER), { maxMs: 60_000 });
  const mapped = readXorMappedAddress(response.message);
  if (mapped === undefined) throw new Error('no XOR-MAPPED-ADDRESS');
  stun.close();
  return {
    socket,
    network,
    record,
    description: {
      profiles: [profile],
      candidates: [
        { type: 'host', address: hostAddress, port: socket.local.port, family: 4 },
        { type: 'srflx', address: mapped.address, port: mapped.port, family: 4, verified: true },
      ],
    },
  };
}

/** Sends one datagram each way over the selected 5-tuples; direct only if both arrive. */
async function checkPath(ra: PunchResult, rb: PunchResult, clock: ManualClock): Promise<PairOutcome['outcome']> {
  if (!ra.ok && !rb.ok) return 'relay';
  if (!ra.ok || !rb.ok) return 'inconsistent';
  const arrives = (to: { socket: UdpSocket; remote: Endpoint }, text: string): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), 5_000);
      const off = to.socket.onMessage((data, from) => {
        if (new TextDecoder().decode(data) === text && from.address === to.remote.address && from.port === to.remote.port) {
          timer.cancel();
          off();
          resolve(true);
        }
      });
    });
  const gotB = arrives(rb, 'data-a');
  const gotA = arrives(ra, 'data-b');
  for (let i = 0; i < 5; i++) {
    ra.socket.send(new TextEncoder().encode('data-a'), ra.remote);
    rb.socket.send(new TextEncoder().encode('data-b'), rb.remote);
  }
  const [okB, okA] = await clock.runUntil(Promise.all([gotB, gotA]), { maxMs: 10_000 });
  return okA && okB ? 'direct' : 'inconsistent';
}

function recordingNetwork(inner: Network, record: Endpoint[]): Network {
  return {
    bindUdp: async (options) => recordingSocket(await inner.bindUdp(options), record),
    localAddressFor: (remote) => inner.localAddressFor(remote),
  };
}

function recordingSocket(inner: UdpSocket, record: Endpoint[]): UdpSocket {
  return {
    get local() {
      return inner.local;
    },
    family: inner.family,
    send(data, to) {
      if (data[0] === 0xe1) record.push({ address: to.address, port: to.port });
      inner.send(data, to);
    },
    onMessage: (h) => inner.onMessage(h),
    onError: (h) => inner.onError(h),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
}

export type { VirtualNetwork };
