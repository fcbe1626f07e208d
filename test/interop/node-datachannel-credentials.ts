/**
 * TURN REST credentials whose base64 password holds both `+` and `/`, the characters a trial run
 * blamed for libdatachannel failures. Found by trying user ids in order (each password has both
 * with probability ~0.12), bounded.
 */
import { restCredentials, type LongTermCredentials } from '@natkit/turn';

export function restCredentialsWithPlusAndSlash(secret: string, nowSeconds: number): LongTermCredentials {
  for (let i = 0; i < 2000; i++) {
    const c = restCredentials({ secret, user: `peer${i}`, nowSeconds, ttlSeconds: 3600 });
    if (c.password.includes('+') && c.password.includes('/')) return c;
  }
  throw new Error('no REST password with both + and / in 2000 tries');
}

/** Every candidate line has `typ relay`: nothing but the relay was offered. */
export function onlyRelayCandidates(candidates: readonly string[]): boolean {
  return candidates.length > 0 && candidates.every((c) => / typ relay( |$)/.test(c));
}
