import { readXorPeerAddresses } from '../proto/peer-address.js';
import { checkPeer } from './peer-check.js';
import type { RequestScope } from './request-scope.js';

/**
 * CreatePermission. RFC 8656 §10.2: one or more XOR-PEER-ADDRESS (400 if none); every peer
 * must pass the family check (443) and the peer filter (403), and the permissions are then
 * installed or refreshed all together, within the per-allocation cap (508).
 */
export function handleCreatePermissionRequest(s: RequestScope): void {
  const peers = readXorPeerAddresses(s.m);
  if (peers === 'malformed' || peers.length === 0) return s.error(400);
  const a = s.allocation();
  if (a === undefined) return;
  for (const peer of peers) {
    const problem = checkPeer(s.core, a, peer);
    if (problem === 'peer-family') return s.error(443);
    if (problem === 'peer-denied') {
      s.core.counters.drop('peer-denied');
      return s.error(403);
    }
  }
  if (!a.installPermissions(peers.map((p) => p.address), s.now)) return s.error(508);
  s.success([]);
}
