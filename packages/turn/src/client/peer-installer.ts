import { formatEndpoint, normalizeAddress, type Endpoint } from '@natkit/net';
import { TurnMethod } from '../proto/constants.js';
import { channelNumber } from '../proto/channel-number.js';
import { xorPeerAddress } from '../proto/peer-address.js';
import type { ClientAllocationState } from './client-allocation-state.js';
import { TurnClientError } from './turn-client-error.js';
import type { TurnSession } from './turn-session.js';

/** Most datagrams held per peer while its permission is being installed. */
const MAX_QUEUED = 32;
/** A peer whose ChannelBind was refused is not offered a channel again before this. */
const CHANNEL_RETRY_MS = 60_000;
/** Bound on the peers remembered as refused a channel. */
const MAX_REMEMBERED = 4096;

export interface PeerInstallerHooks {
  readonly now: () => number;
  /** Sends what was held for `peer` once it can be relayed. */
  readonly flush: (peer: Endpoint, queued: readonly Uint8Array[]) => void;
  readonly failed: (peer: Endpoint, error: Error) => void;
}

/**
 * Installs what a peer needs before data can flow: a ChannelBind (which also installs the
 * permission, RFC 8656 §12) or, without channels, a CreatePermission (RFC 8656 §10). Datagrams
 * sent meanwhile are held (bounded) and released on success, dropped on failure.
 */
export class PeerInstaller {
  readonly #session: TurnSession;
  readonly #state: ClientAllocationState;
  readonly #useChannels: boolean;
  readonly #hooks: PeerInstallerHooks;
  readonly #pending = new Map<string, Uint8Array[]>();
  readonly #binding = new Set<string>();
  readonly #noChannelUntil = new Map<string, number>();

  constructor(session: TurnSession, state: ClientAllocationState, useChannels: boolean, hooks: PeerInstallerHooks) {
    this.#session = session;
    this.#state = state;
    this.#useChannels = useChannels;
    this.#hooks = hooks;
  }

  /** Holds `data` for `peer` and starts installing its permission (once). */
  hold(peer: Endpoint, data: Uint8Array): void {
    const key = formatEndpoint(peer);
    const queue = this.#pending.get(key);
    if (queue !== undefined) {
      if (queue.length < MAX_QUEUED) queue.push(data.slice());
      return;
    }
    this.#pending.set(key, [data.slice()]);
    const install = this.#useChannels ? this.#bindChannelOrPermit(peer) : this.#createPermission(peer);
    install.then(
      () => this.#hooks.flush(peer, this.#take(key)),
      (e: unknown) => {
        this.#take(key);
        this.#hooks.failed(peer, e as Error);
      },
    );
  }

  /**
   * With a permission already in place: upgrades the peer to a channel in the background. After a
   * refused ChannelBind the peer stays on Send indications for a minute (no request per datagram).
   */
  upgrade(peer: Endpoint): void {
    const key = formatEndpoint(peer);
    if (!this.#useChannels || this.#binding.has(key)) return;
    const until = this.#noChannelUntil.get(key);
    if (until !== undefined && this.#hooks.now() < until) return;
    this.#bindChannel(peer).catch(() => {
      // Send indications keep working; the channel is an optimisation.
      this.#rememberNoChannel(key);
    });
  }

  /** Binds (or re-binds, to refresh) the peer's channel. RFC 8656 §12.1 */
  async bindChannel(peer: Endpoint, channel: number, signal?: AbortSignal): Promise<void> {
    const attributes = [channelNumber(channel), xorPeerAddress(peer)];
    this.#state.channelRequested(peer, channel);
    try {
      await this.#session.request(TurnMethod.ChannelBind, attributes, `ChannelBind to ${formatEndpoint(peer)}`, signal);
    } catch (e) {
      this.#state.channelRequestFailed(channel);
      throw e;
    }
    this.#state.channelBound(peer, channel, this.#hooks.now());
  }

  /** Installs or refreshes permissions for these peer addresses in one request. RFC 8656 §10.1 */
  async createPermissions(peers: readonly Endpoint[], signal?: AbortSignal): Promise<void> {
    const what = `CreatePermission for ${peers.map((p) => p.address).join(', ')}`;
    await this.#session.request(TurnMethod.CreatePermission, peers.map(xorPeerAddress), what, signal);
    const now = this.#hooks.now();
    for (const p of peers) this.#state.permissionInstalled(p, now);
  }

  /**
   * A channel if the server grants one; when it refuses the channel for another reason than the
   * peer itself (403), e.g. its channel quota (508), a plain permission and Send indications.
   */
  async #bindChannelOrPermit(peer: Endpoint): Promise<void> {
    try {
      await this.#bindChannel(peer);
    } catch (e) {
      if (e instanceof TurnClientError && (e.code === 'ERR_TURN_FORBIDDEN' || e.code === 'ERR_TURN_CLOSED')) throw e;
      this.#rememberNoChannel(formatEndpoint(peer));
      await this.#createPermission(peer);
    }
  }

  #rememberNoChannel(key: string): void {
    if (this.#noChannelUntil.size >= MAX_REMEMBERED) this.#noChannelUntil.clear();
    this.#noChannelUntil.set(key, this.#hooks.now() + CHANNEL_RETRY_MS);
  }

  async #bindChannel(peer: Endpoint): Promise<void> {
    const key = formatEndpoint(peer);
    const channel = this.#state.channelNumberFor(peer);
    if (channel === undefined) return this.#createPermission(peer); // all 4096 channels in use
    this.#binding.add(key);
    try {
      await this.bindChannel(peer, channel);
    } finally {
      this.#binding.delete(key);
    }
  }

  async #createPermission(peer: Endpoint): Promise<void> {
    if (this.#state.hasPermission(normalizeAddress(peer.address), this.#hooks.now())) return;
    await this.createPermissions([peer]);
  }

  #take(key: string): Uint8Array[] {
    const queue = this.#pending.get(key) ?? [];
    this.#pending.delete(key);
    return queue;
  }

  /** Drops everything held. */
  clear(): void {
    this.#pending.clear();
  }
}
