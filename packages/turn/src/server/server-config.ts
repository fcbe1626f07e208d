import { familyOf, type Family } from '@natkit/net';
import { parseCidr, type Cidr } from '../allocation/cidr.js';
import { TurnError } from '../errors.js';
import type { TurnServerOptions } from './server-options.js';

function configError(message: string): TurnError {
  return new TurnError('ERR_TURN_CONFIG', message);
}

/** Checks a relay port range. Throws TurnError `ERR_TURN_CONFIG`. */
export function validatePorts(p: { low: number; high: number }): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!ok(p.low) || !ok(p.high) || p.low > p.high) throw configError(`relay ports must be 1-65535 with low <= high, not ${p.low}-${p.high}`);
}

/** One address per family from a list of IP literals. */
function byFamily(list: readonly string[] | undefined, what: string): Map<Family, string> {
  const out = new Map<Family, string>();
  for (const a of list ?? []) {
    const f = familyOf(a);
    if (f === undefined) throw configError(`${what} takes IP address literals, not '${a}'`);
    if (out.has(f)) throw configError(`${what}: at most one IPv${f} address`);
    out.set(f, a);
  }
  return out;
}

function cidrs(list: readonly string[] | undefined, what: string): Cidr[] {
  return (list ?? []).map((t) => {
    const c = parseCidr(t);
    if (c === undefined) throw configError(`${what} takes CIDRs like 10.0.0.0/8 or 2001:db8::/32, not '${t}'`);
    return c;
  });
}

/** Parses the peer ranges and relay addresses of the options. Throws TurnError `ERR_TURN_CONFIG`. */
export function parsePeerRanges(o: TurnServerOptions): {
  allow: Cidr[];
  deny: Cidr[];
  relayAddress: Map<Family, string>;
  advertised: Map<Family, string>;
} {
  const relayAddress = byFamily(o.relayAddresses, 'relay address');
  const advertised = byFamily(o.advertisedRelayAddresses, 'advertised relay address');
  for (const a of relayAddress.values()) {
    if (a === '0.0.0.0' || a === '::') throw configError('the relay address must be a specific address, not a wildcard');
  }
  return { allow: cidrs(o.allowPeers, 'allow-peer'), deny: cidrs(o.denyPeers, 'deny-peer'), relayAddress, advertised };
}
