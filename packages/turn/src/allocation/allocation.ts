import { familyOf, type Endpoint, type Family } from '@natkit/net';
import { peerEndpointKey, peerIpKey, type FiveTuple } from './five-tuple.js';
import { CHANNEL_COOLDOWN_S, CHANNEL_LIFETIME_S, PERMISSION_LIFETIME_S } from './lifetimes.js';

/** A channel bound to a peer transport address. RFC 8656 §12 */
export interface ChannelBinding {
  readonly channel: number;
  readonly peer: Endpoint;
  readonly peerKey: string;
  /** The peer's normalised IP (its permission key) and the family of its address as given (an
   * IPv4-mapped address is IPv6 on the wire), worked out once at bind time. */
  readonly peerIp: string;
  readonly family: Family | undefined;
  expiresAt: number;
}

/** One relayed transport address of an allocation (two for a dual allocation). */
export interface Relay<R> {
  /** The address announced in XOR-RELAYED-ADDRESS (the advertised one behind a 1:1 NAT). */
  readonly relayed: Endpoint;
  /** The I/O layer's handle (its relay socket); opaque here. */
  readonly handle: R;
}

export interface AllocationLimits {
  readonly maxPermissions: number;
  readonly maxChannels: number;
}

/** Why a ChannelBind is refused. */
export type BindVerdict = { ok: true } | { ok: false; code: 400 | 508; reason: string };

/**
 * The state of one allocation (RFC 8656 §5): lifetime, permissions by peer IP, channel
 * bindings both ways, and the 5-minute cool-down of expired bindings. Pure: every method takes
 * `now` (ms); nothing here touches sockets or timers.
 */
export class Allocation<R> {
  readonly permissions = new Map<string, number>();
  private readonly byChannel = new Map<number, ChannelBinding>();
  private readonly byPeer = new Map<string, ChannelBinding>();
  /** The same bindings by normalised peer IP, then port: found without building a string key. */
  private readonly byPeerIp = new Map<string, Map<number, ChannelBinding>>();
  private readonly coolChannel = new Map<number, { peerKey: string; until: number }>();
  private readonly coolPeer = new Map<string, { channel: number; until: number }>();

  constructor(
    readonly fiveTuple: FiveTuple,
    readonly key: string,
    readonly username: string,
    readonly relays: ReadonlyMap<Family, Relay<R>>,
    public expiresAt: number,
    readonly dontFragment: boolean,
    private readonly limits: AllocationLimits,
  ) {}

  isExpired(now: number): boolean {
    return this.expiresAt <= now;
  }

  /** The relay for a peer's family, or undefined (443 Peer Address Family Mismatch). */
  relayFor(family: Family): Relay<R> | undefined {
    return this.relays.get(family);
  }

  hasPermission(address: string, now: number): boolean {
    // Keys are normalised; sockets report addresses in that form already, so the address as
    // given is tried first (a hit is exact: normalising is idempotent) and normalised only on a miss.
    const until = this.permissions.get(address) ?? this.permissions.get(peerIpKey(address));
    return until !== undefined && until > now;
  }

  /**
   * Installs or refreshes permissions for all `addresses`, or none when that would exceed the
   * per-allocation cap (RFC 8656 §10.2: a CreatePermission is all or nothing).
   */
  installPermissions(addresses: readonly string[], now: number): boolean {
    const keys = [...new Set(addresses.map(peerIpKey))];
    const live = [...this.permissions].filter(([, until]) => until > now).map(([k]) => k);
    const added = keys.filter((k) => !live.includes(k)).length;
    if (live.length + added > this.limits.maxPermissions) return false;
    const until = now + PERMISSION_LIFETIME_S * 1000;
    for (const k of keys) this.permissions.set(k, until);
    return true;
  }

  /** The live binding of `channel`, if any. */
  bindingOf(channel: number, now: number): ChannelBinding | undefined {
    const b = this.byChannel.get(channel);
    return b !== undefined && b.expiresAt > now ? b : undefined;
  }

  /** Every live channel binding. */
  liveBindings(now: number): ChannelBinding[] {
    return [...this.byChannel.values()].filter((b) => b.expiresAt > now);
  }

  /** The live binding to `peer`, if any. */
  bindingTo(peer: Endpoint, now: number): ChannelBinding | undefined {
    // Per packet from a peer: the address as the socket reported it first (see hasPermission).
    const b = this.byPeerIp.get(peer.address)?.get(peer.port) ?? this.byPeer.get(peerEndpointKey(peer));
    return b !== undefined && b.expiresAt > now ? b : undefined;
  }

  /** Checks a ChannelBind without changing anything. RFC 8656 §12.2 */
  checkBind(channel: number, peer: Endpoint, now: number): BindVerdict {
    const peerKey = peerEndpointKey(peer);
    const byChannel = this.bindingOf(channel, now);
    if (byChannel !== undefined && byChannel.peerKey !== peerKey) return refuse(400, 'channel bound to another peer');
    const byPeer = this.bindingTo(peer, now);
    if (byPeer !== undefined && byPeer.channel !== channel) return refuse(400, 'peer bound to another channel');
    const coolC = this.coolChannel.get(channel);
    if (coolC !== undefined && coolC.until > now && coolC.peerKey !== peerKey) return refuse(400, 'channel cooling down');
    const coolP = this.coolPeer.get(peerKey);
    if (coolP !== undefined && coolP.until > now && coolP.channel !== channel) return refuse(400, 'peer cooling down');
    if (byChannel === undefined && this.liveChannels(now) >= this.limits.maxChannels) return refuse(508, 'channel quota');
    if (byChannel === undefined && !this.hasPermission(peer.address, now) && this.livePermissions(now) >= this.limits.maxPermissions) {
      return refuse(508, 'permission quota');
    }
    return { ok: true };
  }

  /** Binds or refreshes `channel` to `peer`, and installs or refreshes the peer's permission. */
  bind(channel: number, peer: Endpoint, now: number): BindVerdict {
    const verdict = this.checkBind(channel, peer, now);
    if (!verdict.ok) return verdict;
    const peerKey = peerEndpointKey(peer);
    const expiresAt = now + CHANNEL_LIFETIME_S * 1000;
    const existing = this.byChannel.get(channel);
    if (existing !== undefined && existing.peerKey === peerKey) {
      existing.expiresAt = expiresAt;
    } else {
      if (existing !== undefined) this.forgetPeer(existing);
      const peerIp = peerIpKey(peer.address);
      const binding: ChannelBinding = { channel, peer: { address: peer.address, port: peer.port }, peerKey, peerIp, family: familyOf(peer.address), expiresAt };
      this.byChannel.set(channel, binding);
      this.byPeer.set(peerKey, binding);
      let ports = this.byPeerIp.get(peerIp);
      if (ports === undefined) this.byPeerIp.set(peerIp, (ports = new Map<number, ChannelBinding>()));
      ports.set(peer.port, binding);
    }
    this.coolChannel.delete(channel);
    this.coolPeer.delete(peerKey);
    this.permissions.set(peerIpKey(peer.address), Math.max(this.permissions.get(peerIpKey(peer.address)) ?? 0, now + PERMISSION_LIFETIME_S * 1000));
    return { ok: true };
  }

  /** Removes expired permissions and bindings (bindings go into their cool-down). */
  sweep(now: number): void {
    for (const [k, until] of this.permissions) if (until <= now) this.permissions.delete(k);
    for (const [channel, b] of this.byChannel) {
      if (b.expiresAt > now) continue;
      this.byChannel.delete(channel);
      this.forgetPeer(b);
      const until = b.expiresAt + CHANNEL_COOLDOWN_S * 1000;
      this.coolChannel.set(channel, { peerKey: b.peerKey, until });
      this.coolPeer.set(b.peerKey, { channel, until });
    }
    for (const [c, v] of this.coolChannel) if (v.until <= now) this.coolChannel.delete(c);
    for (const [p, v] of this.coolPeer) if (v.until <= now) this.coolPeer.delete(p);
  }

  private forgetPeer(b: ChannelBinding): void {
    if (this.byPeer.get(b.peerKey) === b) this.byPeer.delete(b.peerKey);
    const ports = this.byPeerIp.get(b.peerIp);
    if (ports?.get(b.peer.port) !== b) return;
    ports.delete(b.peer.port);
    if (ports.size === 0) this.byPeerIp.delete(b.peerIp);
  }

  liveChannels(now: number): number {
    let n = 0;
    for (const b of this.byChannel.values()) if (b.expiresAt > now) n++;
    return n;
  }

  livePermissions(now: number): number {
    let n = 0;
    for (const until of this.permissions.values()) if (until > now) n++;
    return n;
  }
}

function refuse(code: 400 | 508, reason: string): BindVerdict {
  return { ok: false, code, reason };
}
