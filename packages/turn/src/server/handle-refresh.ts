import { grantLifetime } from '../allocation/lifetimes.js';
import { readRequestedAddressFamily } from '../proto/address-family.js';
import { lifetime, readLifetime } from '../proto/lifetime.js';
import type { RequestScope } from './request-scope.js';

/**
 * Refresh. RFC 8656 §8: LIFETIME 0 deletes the allocation, any other value is granted as for
 * Allocate; REQUESTED-ADDRESS-FAMILY naming a family the allocation lacks gets 443.
 */
export function handleRefreshRequest(s: RequestScope): void {
  const requested = readLifetime(s.m);
  const family = readRequestedAddressFamily(s.m);
  if (requested === 'malformed' || family === 'malformed') return s.error(400);
  const a = s.allocation();
  if (a === undefined) return;
  if (family !== undefined && (family === 'unknown' || a.relayFor(family) === undefined)) return s.error(443);
  const granted = grantLifetime(requested, s.core.settings.maxLifetimeS, true);
  if (granted === 0) {
    s.core.deleteAllocation(a.key, 'refresh with lifetime 0');
  } else {
    a.expiresAt = s.now + granted * 1000;
  }
  s.success([lifetime(granted)]);
}
