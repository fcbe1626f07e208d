import { normalizeAddress, type Endpoint } from '@natkit/net';

/**
 * The only addresses an attempt may send to: those the rendezvous bound to the peer (its
 * candidates). Ports may be predicted or random; the address never is.
 */
export function createDestinationGuard(allowedAddresses: readonly string[]): (to: Endpoint) => boolean {
  const allowed = new Set(allowedAddresses.map(normalizeAddress));
  return (to) => allowed.has(normalizeAddress(to.address));
}
