import { parseIp } from '@natkit/stun';
import { inCidr, parseCidr, type Cidr } from './cidr.js';
import { DEFAULT_DENIED_RANGES, METADATA_RANGES, type SpecialRange } from './special-addresses.js';

/** The verdict on a peer address. */
export type PeerVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export interface PeerFilterOptions {
  /** Ranges opened although denied by default (`--allow-peer`). */
  readonly allow?: readonly Cidr[];
  /** Ranges closed although allowed otherwise (`--deny-peer`); these win over `allow`. */
  readonly deny?: readonly Cidr[];
  /** The server's own IP addresses (listeners, relay, advertised): denied unless allowed. */
  readonly ownAddresses?: readonly string[];
  /**
   * Whether `address:port`, as written, is a relayed transport address this server holds (another
   * allocation's relay socket): such a peer is not refused as `server-address` (relay to relay),
   * though every other rule still applies. Absent: none is.
   */
  readonly isOwnRelayedAddress?: (address: string, port: number) => boolean;
  /**
   * The ports the server listens on (STUN/TURN UDP, TCP, TLS, other workers' ports): on one of
   * its own addresses they are refused, even inside `allow`, and never taken as relayed addresses.
   */
  readonly listenerPorts?: readonly number[];
}

/**
 * The one peer-address filter, applied to every XOR-PEER-ADDRESS (CreatePermission,
 * ChannelBind, Send) before anything is relayed. An address is considered in every form it
 * takes: as written, and as the IPv4 address embedded in IPv4-mapped (::ffff:0:0/96, only the
 * IPv4 form counts, since that is where a dual-stack socket sends), IPv4-compatible (::/96),
 * NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32, both server and client).
 * It is denied when any form is a cloud metadata address, any form matches `deny`, or any form
 * is denied by default (special ranges, own addresses) without being opened by `allow`.
 * One exception to own addresses: a relayed transport address this server holds (relay to relay,
 * two peers that both only reach this relay), exactly as written and never a listening port.
 * A listening port on an own address is refused even where `allow` opens that address (a
 * loopback test's --allow-peer 127.0.0.0/8 must not let a client relay into the server itself).
 */
export class PeerFilter {
  private readonly allow: readonly Cidr[];
  private readonly deny: readonly Cidr[];
  private readonly own: readonly SpecialRange[];
  private readonly isOwnRelayed: (address: string, port: number) => boolean;
  private readonly listenerPorts: ReadonlySet<number>;

  constructor(private readonly options: PeerFilterOptions = {}) {
    this.allow = options.allow ?? [];
    this.deny = options.deny ?? [];
    this.isOwnRelayed = options.isOwnRelayedAddress ?? (() => false);
    this.listenerPorts = new Set(options.listenerPorts ?? []);
    this.own = (options.ownAddresses ?? []).flatMap((a) => {
      const c = parseCidr(a);
      return c === undefined ? [] : [{ range: c, reason: 'server-address' }];
    });
  }

  /** A filter with more of the server's own addresses and listening ports (learned once sockets are bound). */
  withOwnAddresses(addresses: readonly string[], listenerPorts: readonly number[] = []): PeerFilter {
    const own = [...new Set([...this.own.map((o) => o.range.text), ...addresses])];
    const ports = [...new Set([...this.listenerPorts, ...listenerPorts])];
    return new PeerFilter({ ...this.options, ownAddresses: own, listenerPorts: ports });
  }

  /**
   * The verdict on a peer `address` (and `port`, when the method names one: only then can it be
   * one of this server's relayed transport addresses, the one exception to `server-address`).
   */
  check(address: string, port?: number): PeerVerdict {
    const bytes = parseIp(address);
    if (bytes === undefined) return { allowed: false, reason: 'not-ip' };
    // Asked only of an own address (the common peer is not): is it a relayed address we hold?
    const listener = port !== undefined && this.listenerPorts.has(port);
    const relayed = (): boolean => port !== undefined && !listener && this.isOwnRelayed(address, port);
    for (const form of addressForms(bytes)) {
      const verdict = this.checkForm(form, relayed, listener);
      if (!verdict.allowed) return verdict;
    }
    return { allowed: true };
  }

  /** Whether `port` is one the server listens on (relay sockets are not bound there). */
  listensOn(port: number): boolean {
    return this.listenerPorts.has(port);
  }

  private checkForm(ip: Uint8Array, ownRelayed: () => boolean, listenerPort: boolean): PeerVerdict {
    const metadata = METADATA_RANGES.find((m) => inCidr(ip, m.range));
    if (metadata !== undefined) return { allowed: false, reason: metadata.reason };
    if (this.deny.some((c) => inCidr(ip, c))) return { allowed: false, reason: 'deny-peer' };
    const ownListener = listenerPort ? this.own.find((s) => inCidr(ip, s.range)) : undefined;
    if (ownListener !== undefined) return { allowed: false, reason: ownListener.reason };
    if (this.allow.some((c) => inCidr(ip, c))) return { allowed: true };
    const special = DEFAULT_DENIED_RANGES.find((s) => inCidr(ip, s.range));
    if (special !== undefined) return { allowed: false, reason: special.reason };
    const own = this.own.find((s) => inCidr(ip, s.range));
    return own === undefined || ownRelayed() ? { allowed: true } : { allowed: false, reason: own.reason };
  }
}

const zero = (b: Uint8Array, from: number, to: number): boolean => b.subarray(from, to).every((x) => x === 0);

/** The forms an address takes: itself, and the IPv4 addresses it embeds. */
export function addressForms(ip: Uint8Array): Uint8Array[] {
  if (ip.length === 4) return [ip];
  // ::ffff:a.b.c.d: a dual-stack socket sends to a.b.c.d; only that form counts.
  if (zero(ip, 0, 10) && ip[10] === 0xff && ip[11] === 0xff) return [ip.slice(12, 16)];
  const at = (i: number): number => ip[i] ?? 0;
  const forms = [ip];
  // ::a.b.c.d, IPv4-compatible; :: and ::1 are the unspecified and loopback addresses instead.
  if (zero(ip, 0, 12) && !(zero(ip, 12, 15) && at(15) <= 1)) forms.push(ip.slice(12, 16));
  if (at(0) === 0x00 && at(1) === 0x64 && at(2) === 0xff && at(3) === 0x9b && zero(ip, 4, 12)) forms.push(ip.slice(12, 16));
  if (at(0) === 0x20 && at(1) === 0x02) forms.push(ip.slice(2, 6)); // 2002:AABB:CCDD::
  if (at(0) === 0x20 && at(1) === 0x01 && at(2) === 0 && at(3) === 0) {
    forms.push(ip.slice(4, 8)); // Teredo server
    forms.push(ip.slice(12, 16).map((b) => b ^ 0xff)); // Teredo client, obfuscated
  }
  return forms;
}
