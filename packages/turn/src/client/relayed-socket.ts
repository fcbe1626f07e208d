import { isSameEndpoint, type Endpoint, type Family, type MessageHandler, type Timer, type UdpSocket } from '@natkit/net';
import { classifyPacket, createTransactionId, decodeMessage, encodeMessage } from '@natkit/stun';
import { decodeChannelData, encodeChannelData, isChannelData } from '../proto/channel-data.js';
import { TurnMethod } from '../proto/constants.js';
import { data as dataAttribute, readData } from '../proto/data.js';
import { lifetime as lifetimeAttribute, readLifetime } from '../proto/lifetime.js';
import { readXorPeerAddress, xorPeerAddress } from '../proto/peer-address.js';
import { ClientAllocationState, type RefreshAction } from './client-allocation-state.js';
import { AllocationKeepalive } from './allocation-keepalive.js';
import { PeerInstaller } from './peer-installer.js';
import type { RelayedSocketInit } from './relayed-socket-init.js';
import { TurnClientError } from './turn-client-error.js';

export type { RelayedSocketInit } from './relayed-socket-init.js';

/**
 * A relayed transport address that behaves like a UDP socket (`UdpSocket`): `send` reaches a peer
 * through the relay (installing its permission and channel first, then ChannelData), `onMessage`
 * delivers Data indications and ChannelData with the peer's address, and the allocation,
 * permissions and channels are refreshed before they expire. `close` deletes the allocation
 * (Refresh with LIFETIME 0, RFC 8656 §8).
 */
export class RelayedSocket implements UdpSocket {
  readonly local: Endpoint;
  readonly family: Family;
  readonly #init: RelayedSocketInit;
  readonly #state: ClientAllocationState;
  readonly #installer: PeerInstaller;
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(e: Error) => void>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeErrors: () => void;
  readonly #keepalive: AllocationKeepalive;
  #timer: Timer | undefined;
  #closing: Promise<void> | undefined;

  constructor(init: RelayedSocketInit) {
    this.#init = init;
    this.local = init.relayed;
    this.family = init.relayed.address.includes(':') ? 6 : 4;
    this.#state = new ClientAllocationState(init.lifetimeSeconds, init.clock.now());
    this.#installer = new PeerInstaller(init.session, this.#state, init.useChannels, {
      now: () => init.clock.now(),
      flush: (peer, queued) => {
        for (const d of queued) this.#relay(d, peer);
      },
      failed: (_peer, e) => this.#emitError(e),
    });
    this.#unsubscribe = init.control.onMessage((d, from) => this.#receive(d, from));
    this.#unsubscribeErrors = init.control.onError((e) => this.#controlError(e));
    this.#keepalive = new AllocationKeepalive(init, { isClosed: () => this.#closing !== undefined, lost: (e) => this.#lost(e) });
    this.#schedule();
    this.#keepalive.start();
  }

  /** When the allocation expires unless refreshed (clock ms). */
  get expiresAt(): number {
    return this.#state.allocationExpiresAt;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  send(data: Uint8Array, to: Endpoint): void {
    if (this.#closing !== undefined) {
      this.#emitError(new TurnClientError('ERR_TURN_CLOSED', 'send on a closed relayed socket'));
      return;
    }
    const now = this.#init.clock.now();
    this.#state.permissionUsed(to);
    if (this.#state.channelFor(to, now) !== undefined) {
      this.#relay(data, to);
      return;
    }
    if (this.#state.hasPermission(to.address, now)) {
      this.#relay(data, to);
      this.#installer.upgrade(to);
      return;
    }
    this.#installer.hold(to, data);
  }

  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onError(handler: (error: Error) => void): () => void {
    this.#errorHandlers.add(handler);
    return () => this.#errorHandlers.delete(handler);
  }

  /** Deletes the allocation (best effort) and stops; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(true);
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The channel bound to `peer`, if data to it now travels as ChannelData. */
  channelOf(peer: Endpoint): number | undefined {
    return this.#state.channelFor(peer, this.#init.clock.now());
  }

  /**
   * UDP: sends the keepalive Binding now, e.g. because a connection over the allocation stopped
   * hearing its peer while it kept sending: when our NAT rebound, the answer's mapped address
   * shows it and the allocation is reported lost (`ERR_TURN_CLOSED`) at once instead of at the
   * next keepalive. At most one per 3 s, none while the previous one is unanswered. Returns
   * whether a request left.
   */
  checkNow(): boolean {
    return this.#keepalive.check();
  }

  /** Installs permissions now (without sending), e.g. so that a peer can send first. */
  async permit(peers: readonly Endpoint[], signal?: AbortSignal): Promise<void> {
    await this.#installer.createPermissions(peers, signal);
    this.#schedule();
  }

  #relay(data: Uint8Array, to: Endpoint): void {
    const now = this.#init.clock.now();
    this.#keepalive.sent(now);
    const channel = this.#state.channelFor(to, now);
    const server = this.#init.session.server;
    if (channel !== undefined) {
      this.#init.control.send(encodeChannelData(channel, data, { pad: this.#init.stream }), server);
      return;
    }
    const indication = encodeMessage({
      method: TurnMethod.Send,
      class: 'indication',
      transactionId: createTransactionId(),
      attributes: [xorPeerAddress(to), dataAttribute(data)],
    });
    this.#init.control.send(indication, server);
  }

  #receive(bytes: Uint8Array, from: Endpoint): void {
    if (this.#closing !== undefined) return;
    const server = this.#init.session.server;
    if (!isSameEndpoint(from, server)) return; // the control socket may carry other traffic
    this.#keepalive.heard(this.#init.clock.now());
    if (isChannelData(bytes)) {
      // Over UDP padding is optional; a stream adapter hands over messages without it.
      const cd = decodeChannelData(bytes);
      const peer = cd.ok ? this.#state.peerOf(cd.value.channel) : undefined;
      if (cd.ok && peer !== undefined) this.#deliver(cd.value.data, peer);
      return;
    }
    if (classifyPacket(bytes) !== 'stun') return;
    const m = decodeMessage(bytes);
    if (!m.ok || m.value.class !== 'indication' || m.value.method !== TurnMethod.Data) return;
    const peer = readXorPeerAddress(m.value);
    const payload = readData(m.value);
    if (peer === undefined || peer === 'malformed' || payload === undefined) return;
    this.#deliver(payload, peer);
  }

  #deliver(data: Uint8Array, from: Endpoint): void {
    this.#state.permissionUsed(from);
    for (const h of [...this.#handlers]) {
      try {
        h(data, from);
      } catch (e) {
        this.#init.logger.warn('relayed socket message handler threw', { error: String(e) });
      }
    }
  }

  #emitError(e: Error): void {
    for (const h of [...this.#errorHandlers]) {
      try {
        h(e);
      } catch {
        // a throwing listener must not break the others
      }
    }
  }

  /** Errors of the control socket are ours; a closed TURN connection ends the allocation. */
  #controlError(e: Error): void {
    if (this.#closing !== undefined) return;
    this.#emitError(e);
    if (e instanceof TurnClientError && e.code === 'ERR_TURN_CLOSED') this.#closing = this.#shutdown(false);
  }

  /** The allocation is lost (`error` says why): reported, then the socket stops (without deallocating). */
  #lost(error: TurnClientError): void {
    this.#emitError(error);
    this.#closing ??= this.#shutdown(false);
  }

  #schedule(): void {
    this.#timer?.cancel();
    if (this.#closing !== undefined) return;
    const at = this.#state.nextDeadline();
    this.#timer = this.#init.clock.setTimeout(() => this.#onTimer(), Math.max(0, at - this.#init.clock.now()));
  }

  #onTimer(): void {
    const now = this.#init.clock.now();
    if (!this.#state.isAlive(now)) {
      return this.#lost(new TurnClientError('ERR_TURN_CLOSED', 'the allocation expired (refreshes failed)'));
    }
    for (const action of this.#state.due(now)) {
      this.#refresh(action).then(
        () => this.#schedule(),
        (e: unknown) => {
          this.#state.refreshFailed(action);
          this.#init.logger.debug('refresh failed', { action: action.type, error: String(e) });
          if (action.type === 'refresh-allocation' && e instanceof TurnClientError && e.status === 437) {
            this.#lost(new TurnClientError('ERR_TURN_CLOSED', 'the server no longer knows the allocation (437)', 437, e));
          }
          this.#schedule();
        },
      );
    }
    this.#schedule();
  }

  async #refresh(action: RefreshAction): Promise<void> {
    const { session, clock, requestedLifetime } = this.#init;
    this.#keepalive.sent(clock.now());
    if (action.type === 'refresh-allocation') {
      const r = await session.request(TurnMethod.Refresh, [lifetimeAttribute(requestedLifetime)], 'Refresh');
      const granted = readLifetime(r.message);
      this.#state.allocationRefreshed(typeof granted === 'number' ? granted : requestedLifetime, clock.now());
    } else if (action.type === 'refresh-permissions') {
      await this.#installer.createPermissions(action.peers);
    } else {
      await this.#installer.bindChannel(action.peer, action.channel);
    }
  }

  async #shutdown(deallocate: boolean): Promise<void> {
    this.#timer?.cancel();
    this.#keepalive.stop();
    this.#installer.clear();
    if (deallocate) {
      try {
        await this.#init.session.request(TurnMethod.Refresh, [lifetimeAttribute(0)], 'Refresh (delete)');
      } catch (e) {
        this.#init.logger.debug('deallocation failed', { error: String(e) });
      }
    }
    this.#unsubscribe();
    this.#unsubscribeErrors();
    this.#init.stun.close();
    if (this.#init.ownsControl) await this.#init.control.close();
  }
}
