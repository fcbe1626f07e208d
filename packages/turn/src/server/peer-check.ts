import { familyOf, type Endpoint, type UdpSocket } from '@natkit/net';
import type { Allocation } from '../allocation/allocation.js';
import type { TurnCore } from './turn-core.js';

/** Why a peer address cannot be used by an allocation. */
export type PeerProblem = 'peer-denied' | 'peer-family';

/**
 * The checks every XOR-PEER-ADDRESS passes (CreatePermission, ChannelBind, Send): the
 * allocation has a relay of the peer's family (else 443; an IPv4-mapped address is IPv6 on the
 * wire and so needs an IPv6 relay), and the one peer filter allows it (else 403).
 * RFC 8656 §9.1, §10.2, §12.2; relay.md §3.
 */
export function checkPeer(core: TurnCore, a: Allocation<UdpSocket>, peer: Endpoint): PeerProblem | undefined {
  const family = familyOf(peer.address);
  if (family === undefined) return 'peer-denied';
  if (a.relayFor(family) === undefined) return 'peer-family';
  return core.filter.check(peer.address, peer.port).allowed ? undefined : 'peer-denied';
}
