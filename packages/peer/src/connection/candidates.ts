import { familyOf, isSameEndpoint, normalizeAddress, type Endpoint, type Family } from '@natkit/net';
import type { Candidate, WireEndpoint } from '@natkit/rendezvous';
import type { NatMeasurement } from './nat-measurement.js';
import type { RelaySetup } from './relay-setup.js';

const MAX_DIRECT_TARGETS = 8;

/** A peer as the rendezvous describes it: where it came from, its claims, the addresses it proved (v2). */
export interface VerifiedPeer {
  readonly observed: WireEndpoint;
  readonly candidates: readonly Candidate[];
  readonly verified?: readonly WireEndpoint[];
}

/** The IPs the rendezvous bound to the peer: its WebSocket's source, and its verified UDP addresses. */
export function boundIps(peer: Pick<VerifiedPeer, 'observed' | 'verified'>): Set<string> {
  return new Set([peer.observed, ...(peer.verified ?? [])].map((e) => normalizeAddress(e.address)));
}

/**
 * Where direct probes may go: only addresses the rendezvous tied to the peer. Its candidates
 * (claims) count when their IP is one the server saw the peer come from (`observed`, or a UDP
 * address it verified with an address token), and its host candidates too when both peers came
 * from the same public IP (same NAT or host). Only families we have a socket of (`families`).
 */
export function directTargets(peer: VerifiedPeer, ourObserved: WireEndpoint, families: readonly Family[] = [4, 6]): Endpoint[] {
  const sameSite = peer.observed.address === ourObserved.address;
  const bound = boundIps(peer);
  const out: Endpoint[] = [];
  for (const c of peer.candidates) {
    if (c.type === 'relay' || !families.includes(familyOf(c.address) ?? 4)) continue;
    if (!bound.has(normalizeAddress(c.address)) && !(sameSite && c.type === 'host')) continue;
    const e = { address: c.address, port: c.port };
    if (!out.some((o) => isSameEndpoint(o, e))) out.push(e);
  }
  return out.slice(0, MAX_DIRECT_TARGETS);
}

/**
 * The IPs a peer's relay candidate may have: those of our natkit server's relay, which is the
 * peer's relay too (the rendezvous hands out credentials for its own relay only). That is the
 * server's address we talk to, and the IP of our own allocation's relayed address (which differs
 * when the server runs with `--advertise-relay-address` or relays on another of its addresses).
 */
export function trustedRelayIps(server: Endpoint, relay: RelaySetup): string[] {
  const relayed = relay.allocation?.relayed.address;
  return [...new Set([server.address, ...(relayed === undefined ? [] : [relayed])].map(normalizeAddress))];
}

/**
 * The peer's relay candidates at a trusted relay IP (see trustedRelayIps). Any other is dropped:
 * the candidates are the peer's claims, and a peer announcing a victim's address as its "relay"
 * would otherwise aim our handshakes, keepalives and relay permissions at it.
 */
export function relayCandidates(candidates: readonly Candidate[], trustedIps: readonly string[]): Endpoint[] {
  return candidates.filter((c) => c.type === 'relay' && trustedIps.includes(normalizeAddress(c.address))).map((c) => ({ address: c.address, port: c.port }));
}

/** The peer's public addresses as claimed (srflx) or seen (observed): where replies through our relay go first. */
export function publicAddresses(peer: { readonly observed: WireEndpoint; readonly candidates: readonly Candidate[] }): Endpoint[] {
  return peer.candidates.filter((c) => c.type === 'srflx' && c.address === peer.observed.address).map((c) => ({ address: c.address, port: c.port }));
}

/** Host and server-reflexive candidates of our socket (none when UDP to the server does not work). */
export function directCandidates(local: Endpoint, nat: NatMeasurement): Candidate[] {
  if (nat.srflx === null) return [];
  // The srflx even when it equals the host one (no NAT): the punch planner works from the srflx.
  return [
    { type: 'host', address: local.address, port: local.port },
    { type: 'srflx', address: nat.srflx.address, port: nat.srflx.port },
  ];
}

export function relayCandidate(relay: RelaySetup): Candidate[] {
  const a = relay.allocation;
  return a === null ? [] : [{ type: 'relay', address: a.relayed.address, port: a.relayed.port }];
}
