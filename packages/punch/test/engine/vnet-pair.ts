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
  startPunchSeries,
  type Candidate,
  type NatProfile,
  type PeerDescription,
  type PunchLimits,
  type PunchOptions,
  type PunchPlan,
  type PunchResult,
} from '../../src/index.js';

export const STUN_SERVER = { address: '203.0.113.1', port: 3478 };
export const STUN_SERVER_6 = { address: '2001:db8::1', port: 3478 };

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
  /** B fires this much later than A (the rendezvous' timing is never exact). */
  readonly skewMs?: number;
  /** Also IPv6 (routed without NAT66 through the NATs' stateful firewalls). */
  readonly dualStack?: boolean;
  /** B's IPv4 profile as both sides believe it, instead of the one of `natB` (a wrong diagnosis). */
  readonly claimedProfileB?: NatProfile;
  /** Runs a series of up to this many attempts (startPunchSeries); attempt n plans with seed `seed + n * 7919`. */
  readonly attempts?: number;
  /** Called with the open sockets of both hosts every 10 ms of the run (a bound on what the punch holds). */
  readonly sampleSockets?: (open: number) => void;
}

export interface PairOutcome {
  readonly planA: PunchPlan;
  readonly planB: PunchPlan;
  /** With `attempts`: the series' result (the last attempt's, and how many ran). */
  readonly resultA: PunchResult & { readonly attempts?: number };
  readonly resultB: PunchResult & { readonly attempts?: number };
  /** 'direct': both selected a pair and data crossed it both ways. */
  readonly outcome: 'direct' | 'relay' | 'inconsistent';
  /** Destinations each side's sockets sent to after planning (punch datagrams only). */
  readonly sentA: readonly Endpoint[];
  readonly sentB: readonly Endpoint[];
  readonly openSocketsAfter: number;
  /** With `attempts`: each side's results in attempt order. */
  readonly attemptsA: readonly PunchResult[];
  readonly attemptsB: readonly PunchResult[];
}

/** The planner's profile of a vnet NAT configuration (what `diagnose` reports for it). */
export function profileOf(nat: NatOptions, family: 4 | 6 = 4): NatProfile {
  if (family === 6) {
    const filtering = nat.filtering ?? 'address-and-port-dependent';
    return { family, mapping: 'endpoint-independent', filtering, allocation: 'preserving', delta: null, hairpinning: null };
  }
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
    const v6 = o.dualStack === true;
    const serverHost = vnet.createHost(vnet.internet, { ipv4: [STUN_SERVER.address], ipv6: v6 ? [STUN_SERVER_6.address] : false });
    const server = await startStunServer({ primary: STUN_SERVER }, { network: serverHost.network, clock });
    const server6 = v6 ? await startStunServer({ primary: STUN_SERVER_6 }, { network: serverHost.network, clock }) : undefined;
    const link = { latencyMs: o.latencyMs ?? 0, loss: o.loss ?? 0 };
    const routerA = vnet.createRouter(vnet.internet, { nat: o.natA, link, nat66: false });
    const routerB = o.sameNat === true ? routerA : vnet.createRouter(vnet.internet, { nat: o.natB, link, nat66: false });
    const hostA = vnet.createHost(routerA, { ipv6: v6 });
    const hostB = vnet.createHost(routerB, { ipv6: v6 });
    const families: readonly (4 | 6)[] = v6 ? [4, 6] : [4];
    const a = await setUp(hostA.network, hostA.addresses, families, (f) => profileOf(o.natA, f), clock);
    const profileB = (f: 4 | 6): NatProfile => (f === 4 && o.claimedProfileB !== undefined ? o.claimedProfileB : profileOf(o.sameNat === true ? o.natA : o.natB, f));
    const b = await setUp(hostB.network, hostB.addresses, families, profileB, clock);
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
    const fireB = fireAt + (o.skewMs ?? 0);
    const attemptsA: PunchResult[] = [];
    const attemptsB: PunchResult[] = [];
    const start = (me: PeerDescription, peer: PeerDescription, first: PunchPlan, rest: Omit<PunchOptions, 'plan'>, record: PunchResult[], network: Network): { result: Promise<PunchResult & { readonly attempts?: number }> } => {
      if (o.attempts === undefined) return startPunch({ ...rest, plan: first }, { network, clock });
      const plan = (n: number): PunchPlan => (n === 0 ? first : planPunch(me, peer, { ...options, seed: o.seed + n * 7919 }));
      return startPunchSeries({ ...rest, plan, maxAttempts: o.attempts, onAttemptEnd: (_n, r) => record.push(r) }, { network, clock });
    };
    const attemptA = start(a.description, b.description, planA, { ...common, socket: a.sockets, role: 'controlling', signal: abort.signal }, attemptsA, a.network);
    const attemptB = start(b.description, a.description, planB, { ...common, fireAt: fireB, authenticator: authB, socket: b.sockets, role: 'controlled', signal: abort.signal }, attemptsB, b.network);
    if (o.sampleSockets !== undefined) {
      const sample = o.sampleSockets;
      let settled = false;
      void Promise.all([attemptA.result, attemptB.result]).then(() => (settled = true));
      const every = (): void => {
        sample(hostA.openSockets + hostB.openSockets);
        if (!settled) clock.setTimeout(every, 10);
      };
      every();
    }
    if (o.abortAfterMs !== undefined) clock.setTimeout(() => abort.abort(), fireAt - clock.now() + o.abortAfterMs);
    const [resultA, resultB] = await clock.runUntil(Promise.all([attemptA.result, attemptB.result]), { maxMs: 120_000 });
    const outcome = await checkPath(resultA, resultB, clock);
    const sentA = [...a.record];
    const sentB = [...b.record];
    for (const r of [resultA, resultB]) if (r.ok && r.ownsSocket) await r.socket.close();
    for (const socket of [...a.sockets, ...b.sockets]) await socket.close();
    await server.close();
    await server6?.close();
    return { planA, planB, resultA, resultB, outcome, sentA, sentB, openSocketsAfter: hostA.openSockets + hostB.openSockets, attemptsA, attemptsB };
  } finally {
    await vnet.close();
  }
}

interface PeerSetup {
  readonly sockets: readonly UdpSocket[];
  readonly network: Network;
  readonly description: PeerDescription;
  readonly record: Endpoint[];
}

async function setUp(
  inner: Network,
  hostAddresses: readonly string[],
  families: readonly (4 | 6)[],
  profile: (family: 4 | 6) => NatProfile,
  clock: ManualClock,
): Promise<PeerSetup> {
  const record: Endpoint[] = [];
  const network = recordingNetwork(inner, record);
  const sockets: UdpSocket[] = [];
  const candidates: Candidate[] = [];
  for (const family of families) {
    const socket = await network.bindUdp({ family });
    sockets.push(socket);
    const stun = new StunClient({}, { socket, clock });
    const response = await clock.runUntil(stun.request(family === 4 ? STUN_SERVER : STUN_SERVER_6), { maxMs: 60_000 });
    const mapped = readXorMappedAddress(response.message);
    if (mapped === undefined) throw new Error('no XOR-MAPPED-ADDRESS');
    stun.close();
    const host = hostAddresses.find((address) => address.includes(':') === (family === 6));
    if (host !== undefined) candidates.push({ type: 'host', address: host, port: socket.local.port, family });
    candidates.push({ type: 'srflx', address: mapped.address, port: mapped.port, family, verified: true });
  }
  return { sockets, network, record, description: { profiles: families.map(profile), candidates } };
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
