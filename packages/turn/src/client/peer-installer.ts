import { formatEndpoint, normalizeAddress, type Endpoint } from '@natkit/net';
import { TurnMethod } from '../proto/constants.js';
import { channelNumber } from '../proto/channel-number.js';
import { xorPeerAddress } from '../proto/peer-address.js';
import type { ClientAllocationState } from './client-allocation-state.js';
import type { TurnSession } from './turn-session.js';

/** Most datagrams held per peer while its permission is being installed. */
const MAX_QUEUED = 32;

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
    const install = this.#useChannels ? this.#bindChannel(peer) : this.#createPermission(peer);
    install.then(
      () => this.#hooks.flush(peer, this.#take(key)),
      (e: unknown) => {
        this.#take(key);
        this.#hooks.failed(peer, e as Error);
      },
    );
  }

  /** With a permission already in place: upgrades the peer to a channel in the background. */
  upgrade(peer: Endpoint): void {
    if (!this.#useChannels || this.#binding.has(formatEndpoint(peer))) return;
    this.#bindChannel(peer).catch(() => {
      // Send indications keep working; the channel is an optimisation.
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
    for (const p of peers) this.#state.permissionInstalled(p.address, now);
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
