import { formatEndpoint, normalizeAddress, type Endpoint } from '@natkit/net';

/** Permission lifetime, fixed by the RFC (the server refreshes nothing by itself). RFC 8656 §9 */
export const PERMISSION_LIFETIME_MS = 300_000;
/** Channel binding lifetime. RFC 8656 §12 */
export const CHANNEL_LIFETIME_MS = 600_000;
/** Channel numbers a client may bind. RFC 8656 §12 */
export const MIN_CHANNEL_NUMBER = 0x4000;
export const MAX_CHANNEL_NUMBER = 0x4fff;
/** How long before expiry a refresh is sent (libjuice and coturn clients also use one minute). */
export const REFRESH_MARGIN_MS = 60_000;

/** Work the I/O adapter must do at `now`. */
export type RefreshAction =
  | { readonly type: 'refresh-allocation' }
  | { readonly type: 'refresh-permissions'; readonly peers: readonly Endpoint[] }
  | { readonly type: 'refresh-channel'; readonly peer: Endpoint; readonly channel: number };

interface ChannelEntry {
  readonly peer: Endpoint;
  readonly channel: number;
  expiresAt: number;
  /** When a refresh was handed out; cleared by `channelBound`. */
  refreshingSince: number | undefined;
  /** False once expired: no longer refreshed, but the number stays reserved for the peer. */
  live: boolean;
}

interface Timed {
  expiresAt: number;
  refreshingSince: number | undefined;
}

interface PermissionEntry extends Timed {
  /** A transport address of the peer (CreatePermission needs one; only its IP counts). */
  peer: Endpoint;
}

/** Permissions kept alive at most (natkit serve's default quota); the least recently used go. */
export const DEFAULT_MAX_PERMISSIONS = 64;

/** Refresh `margin` ms before expiry, or at half the lifetime when that is shorter. */
function refreshAt(expiresAt: number, lifetimeMs: number): number {
  return expiresAt - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
}

/** A refresh in flight is handed out again if it got no answer for this long. */
const REFRESH_RETRY_MS = 10_000;

/** When a refresh due at `at` may next be handed out, given when the last one was. */
function nextTry(at: number, refreshingSince: number | undefined): number {
  return refreshingSince === undefined ? at : Math.max(at, refreshingSince + REFRESH_RETRY_MS);
}

/**
 * The client's view of one allocation as a pure state machine (no timers, no sockets): which
 * permissions and channels exist, when each expires, and what must be refreshed when. The I/O
 * adapter calls `due(now)` at `nextDeadline()` and reports each answer back.
 */
export class ClientAllocationState {
  #allocationExpiresAt: number;
  #allocationLifetimeMs: number;
  #allocationRefreshingSince: number | undefined;
  /** In order of last use: the first entry is the least recently used. */
  readonly #permissions = new Map<string, PermissionEntry>();
  readonly #maxPermissions: number;
  readonly #channelsByPeer = new Map<string, ChannelEntry>();
  readonly #channelsByNumber = new Map<number, ChannelEntry>();
  /** Channels asked for and not answered yet: the server may use them before we see its answer. */
  readonly #requestedChannels = new Map<number, Endpoint>();
  #nextChannel = MIN_CHANNEL_NUMBER;

  constructor(lifetimeSeconds: number, now: number, options: { readonly maxPermissions?: number } = {}) {
    this.#maxPermissions = Math.max(1, options.maxPermissions ?? DEFAULT_MAX_PERMISSIONS);
    this.#allocationLifetimeMs = lifetimeSeconds * 1000;
    this.#allocationExpiresAt = now + this.#allocationLifetimeMs;
  }

  get allocationExpiresAt(): number {
    return this.#allocationExpiresAt;
  }

  /** A Refresh succeeded with this LIFETIME. RFC 8656 §8 */
  allocationRefreshed(lifetimeSeconds: number, now: number): void {
    this.#allocationLifetimeMs = lifetimeSeconds * 1000;
    this.#allocationExpiresAt = now + this.#allocationLifetimeMs;
    this.#allocationRefreshingSince = undefined;
  }

  /** A refresh of anything failed; it is handed out again later (bounded by expiry). */
  refreshFailed(action: RefreshAction): void {
    if (action.type === 'refresh-allocation') this.#allocationRefreshingSince = undefined;
    else if (action.type === 'refresh-permissions') {
      for (const peer of action.peers) {
        const p = this.#permissions.get(normalizeAddress(peer.address));
        if (p !== undefined) p.refreshingSince = undefined;
      }
    } else {
      const c = this.#channelsByNumber.get(action.channel);
      if (c !== undefined) c.refreshingSince = undefined;
    }
  }

  /** True while the allocation has not expired. */
  isAlive(now: number): boolean {
    return now < this.#allocationExpiresAt;
  }

  /**
   * Permission installed or refreshed for the peer's IP (the port is irrelevant, RFC 8656 §9).
   * Beyond `maxPermissions` the least recently used one is no longer kept alive.
   */
  permissionInstalled(peer: Endpoint, now: number): void {
    const key = normalizeAddress(peer.address);
    this.#permissions.delete(key);
    this.#permissions.set(key, { peer, expiresAt: now + PERMISSION_LIFETIME_MS, refreshingSince: undefined });
    if (this.#permissions.size > this.#maxPermissions) {
      const oldest = this.#permissions.keys().next().value;
      if (oldest !== undefined) this.#permissions.delete(oldest);
    }
  }

  /** Data went to or came from `peer`: its permission is the most recently used. */
  permissionUsed(peer: Endpoint): void {
    const key = normalizeAddress(peer.address);
    const p = this.#permissions.get(key);
    if (p === undefined || this.#permissions.size === 1) return;
    this.#permissions.delete(key);
    this.#permissions.set(key, p);
  }

  hasPermission(address: string, now: number): boolean {
    const p = this.#permissions.get(normalizeAddress(address));
    return p !== undefined && now < p.expiresAt;
  }

  /** Stops keeping a permission alive (it expires on the server by itself). */
  forgetPermission(address: string): void {
    this.#permissions.delete(normalizeAddress(address));
  }

  /** The channel bound to `peer`, if any and unexpired. */
  channelFor(peer: Endpoint, now: number): number | undefined {
    const c = this.#channelsByPeer.get(formatEndpoint(peer));
    return c !== undefined && now < c.expiresAt ? c.channel : undefined;
  }

  /**
   * The peer bound (or being bound) to `channel`, for incoming ChannelData. Over a stream the
   * server's first ChannelData can be read in the same chunk as its ChannelBind answer, before
   * that answer is processed, so a requested channel already maps back to its peer.
   */
  peerOf(channel: number): Endpoint | undefined {
    return this.#channelsByNumber.get(channel)?.peer ?? this.#requestedChannels.get(channel);
  }

  /** A ChannelBind for `peer` on `channel` was sent. */
  channelRequested(peer: Endpoint, channel: number): void {
    this.#requestedChannels.set(channel, peer);
  }

  /** The ChannelBind failed: the number maps back to nothing unless bound before. */
  channelRequestFailed(channel: number): void {
    this.#requestedChannels.delete(channel);
  }

  /**
   * A channel number for a new binding to `peer`: the peer's own if it had one (a peer keeps
   * its number, RFC 8656 §12), else the next unused one; undefined when all 4096 are taken.
   */
  channelNumberFor(peer: Endpoint): number | undefined {
    const existing = this.#channelsByPeer.get(formatEndpoint(peer));
    if (existing !== undefined) return existing.channel;
    for (let i = 0; i <= MAX_CHANNEL_NUMBER - MIN_CHANNEL_NUMBER; i++) {
      const n = this.#nextChannel;
      this.#nextChannel = n >= MAX_CHANNEL_NUMBER ? MIN_CHANNEL_NUMBER : n + 1;
      if (!this.#channelsByNumber.has(n) && !this.#requestedChannels.has(n)) return n;
    }
    return undefined;
  }

  /** ChannelBind succeeded: the channel lasts 600 s and also refreshes the permission. RFC 8656 §12 */
  channelBound(peer: Endpoint, channel: number, now: number): void {
    const entry: ChannelEntry = { peer, channel, expiresAt: now + CHANNEL_LIFETIME_MS, refreshingSince: undefined, live: true };
    this.#channelsByPeer.set(formatEndpoint(peer), entry);
    this.#channelsByNumber.set(channel, entry);
    this.#requestedChannels.delete(channel);
    this.permissionInstalled(peer, now);
  }

  /** Everything due at `now`; each item is handed out once until answered or failed. */
  due(now: number): RefreshAction[] {
    const actions: RefreshAction[] = [];
    const stale = (since: number | undefined): boolean => since === undefined || now - since >= REFRESH_RETRY_MS;
    if (now >= refreshAt(this.#allocationExpiresAt, this.#allocationLifetimeMs) && stale(this.#allocationRefreshingSince)) {
      this.#allocationRefreshingSince = now;
      actions.push({ type: 'refresh-allocation' });
    }
    const peers: Endpoint[] = [];
    for (const [address, p] of this.#permissions) {
      if (now >= p.expiresAt) this.#permissions.delete(address);
      else if (now >= refreshAt(p.expiresAt, PERMISSION_LIFETIME_MS) && stale(p.refreshingSince)) {
        p.refreshingSince = now;
        peers.push(p.peer);
      }
    }
    if (peers.length > 0) actions.push({ type: 'refresh-permissions', peers });
    for (const c of this.#channelsByNumber.values()) {
      if (!c.live) continue;
      if (now >= c.expiresAt) {
        c.live = false; // kept, so that the peer keeps its number if it binds again (RFC 8656 §12)
        continue;
      }
      if (now >= refreshAt(c.expiresAt, CHANNEL_LIFETIME_MS) && stale(c.refreshingSince)) {
        c.refreshingSince = now;
        actions.push({ type: 'refresh-channel', peer: c.peer, channel: c.channel });
      }
    }
    return actions;
  }

  /** The earliest time `due` may return something. */
  nextDeadline(): number {
    let t = nextTry(refreshAt(this.#allocationExpiresAt, this.#allocationLifetimeMs), this.#allocationRefreshingSince);
    for (const p of this.#permissions.values()) {
      t = Math.min(t, nextTry(refreshAt(p.expiresAt, PERMISSION_LIFETIME_MS), p.refreshingSince), p.expiresAt);
    }
    for (const c of this.#channelsByNumber.values()) {
      if (c.live) t = Math.min(t, nextTry(refreshAt(c.expiresAt, CHANNEL_LIFETIME_MS), c.refreshingSince), c.expiresAt);
    }
    return t;
  }
}
