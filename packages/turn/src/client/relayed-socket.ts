import {
  formatEndpoint,
  isSameEndpoint,
  type Clock,
  type Endpoint,
  type Family,
  type Logger,
  type MessageHandler,
  type Timer,
  type UdpSocket,
} from '@natkit/net';
import { classifyPacket, createTransactionId, decodeMessage, encodeMessage, readXorMappedAddress, StunMethod, type StunClient } from '@natkit/stun';
import { decodeChannelData, encodeChannelData, isChannelData } from '../proto/channel-data.js';
import { TurnMethod } from '../proto/constants.js';
import { data as dataAttribute, readData } from '../proto/data.js';
import { lifetime as lifetimeAttribute, readLifetime } from '../proto/lifetime.js';
import { readXorPeerAddress, xorPeerAddress } from '../proto/peer-address.js';
import { ClientAllocationState, type RefreshAction } from './client-allocation-state.js';
import { PeerInstaller } from './peer-installer.js';
import { TurnClientError } from './turn-client-error.js';
import type { TurnSession } from './turn-session.js';

/** `checkNow` asks the server at most this often per allocation (a stalled connection's request, bounded). */
const CHECK_MIN_GAP_MS = 3000;
/** Retransmit timeout of a check when keepalives are off (otherwise a quarter of their interval, 0.1-1 s). */
const CHECK_RTO_MS = 500;

export interface RelayedSocketInit {
  readonly session: TurnSession;
  readonly stun: StunClient;
  /** The socket (or stream adapter) that talks to the server. */
  readonly control: UdpSocket;
  /** Close `control` when this socket closes (false when the caller shares it). */
  readonly ownsControl: boolean;
  readonly relayed: Endpoint;
  readonly lifetimeSeconds: number;
  /** Lifetime asked for in each Refresh. */
  readonly requestedLifetime: number;
  /** ChannelData padded to 4 bytes (mandatory over TCP/TLS, RFC 8656 §12.5). */
  readonly stream: boolean;
  readonly useChannels: boolean;
  /**
   * UDP only: a STUN Binding request to the server after this long without sending it anything
   * (ms), so that the NAT mapping of the allocation's 5-tuple outlives the minutes between
   * refreshes (RFC 8445 §11: keepalives on every candidate in use). Absent: none.
   */
  readonly keepaliveMs?: number;
  /** Our address as the server saw it at Allocate: a keepalive answer with another means the NAT rebound. */
  readonly mapped?: Endpoint;
  readonly clock: Clock;
  readonly logger: Logger;
}

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
  #timer: Timer | undefined;
  #keepalive: Timer | undefined;
  /** When we last sent the server anything over the control socket (clock ms). */
  #lastSent: number;
  /** When the server last sent us anything, and when our last keepalive left (clock ms). */
  #lastHeard: number;
  #lastKeepalive = Number.NEGATIVE_INFINITY;
  /** When `checkNow` last sent (clock ms), and whether that Binding is still unanswered. */
  #lastCheck = Number.NEGATIVE_INFINITY;
  #checking = false;
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
    this.#lastSent = init.clock.now();
    this.#lastHeard = this.#lastSent;
    this.#schedule();
    this.#scheduleKeepalive(init.keepaliveMs);
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
    if (this.#init.stream || this.#closing !== undefined || this.#checking) return false;
    const now = this.#init.clock.now();
    if (now - this.#lastCheck < CHECK_MIN_GAP_MS) return false;
    this.#lastCheck = now;
    this.#checking = true;
    void this.#sendKeepalive(this.#init.keepaliveMs).finally(() => {
      this.#checking = false;
    });
    return true;
  }

  /** Installs permissions now (without sending), e.g. so that a peer can send first. */
  async permit(peers: readonly Endpoint[], signal?: AbortSignal): Promise<void> {
    await this.#installer.createPermissions(peers, signal);
    this.#schedule();
  }

  #relay(data: Uint8Array, to: Endpoint): void {
    this.#lastSent = this.#init.clock.now();
    const channel = this.#state.channelFor(to, this.#lastSent);
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
    this.#lastHeard = this.#init.clock.now();
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

  /**
   * UDP: a Binding request to the server after `every` ms without other traffic to it keeps the
   * NAT mapping of the allocation's 5-tuple, and its XOR-MAPPED-ADDRESS tells when that mapping
   * changed (our NAT rebound): the server then knows the allocation only by the old 5-tuple, so it
   * is lost (what a Refresh would learn minutes later as 437) and the owner can allocate again.
   * Also after `every` ms without anything from the server (at most one per `every`): while we
   * keep sending over a rebound mapping the server drops it all and stays silent.
   */
  #scheduleKeepalive(every: number | undefined): void {
    if (every === undefined || !(every > 0) || this.#init.stream || this.#closing !== undefined) return;
    const quiet = Math.min(this.#lastSent, this.#lastHeard);
    const due = Math.max(quiet, this.#lastKeepalive) + every - this.#init.clock.now();
    this.#keepalive = this.#init.clock.setTimeout(() => {
      if (this.#closing !== undefined) return;
      const now = this.#init.clock.now();
      if (now - Math.min(this.#lastSent, this.#lastHeard) >= every && now - this.#lastKeepalive >= every) void this.#sendKeepalive(every);
      this.#scheduleKeepalive(every);
    }, Math.max(0, due));
  }

  /** One Binding to the server; resolves when it was answered (or timed out). */
  #sendKeepalive(every: number | undefined): Promise<void> {
    this.#lastSent = this.#init.clock.now();
    this.#lastKeepalive = this.#lastSent;
    const server = this.#init.session.server;
    const policy = { rtoMs: every === undefined ? CHECK_RTO_MS : Math.max(100, Math.min(1000, every / 4)), rc: 3, rm: 4 };
    return this.#init.stun.request(server, { method: StunMethod.Binding, policy }).then(
      (r) => {
        const mapped = readXorMappedAddress(r.message);
        const was = this.#init.mapped;
        if (this.#closing !== undefined || mapped === undefined || was === undefined || isSameEndpoint(mapped, was)) return;
        this.#emitError(new TurnClientError('ERR_TURN_CLOSED', `the NAT mapping to the server changed from ${formatEndpoint(was)} to ${formatEndpoint(mapped)}: the allocation is lost`));
        this.#closing ??= this.#shutdown(false);
      },
      (e: unknown) => this.#init.logger.debug('keepalive unanswered', { error: String(e) }),
    );
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
      this.#emitError(new TurnClientError('ERR_TURN_CLOSED', 'the allocation expired (refreshes failed)'));
      this.#closing ??= this.#shutdown(false);
      return;
    }
    for (const action of this.#state.due(now)) {
      this.#refresh(action).then(
        () => this.#schedule(),
        (e: unknown) => {
          this.#state.refreshFailed(action);
          this.#init.logger.debug('refresh failed', { action: action.type, error: String(e) });
          if (action.type === 'refresh-allocation' && e instanceof TurnClientError && e.status === 437) {
            this.#emitError(new TurnClientError('ERR_TURN_CLOSED', 'the server no longer knows the allocation (437)', 437, e));
            this.#closing ??= this.#shutdown(false);
          }
          this.#schedule();
        },
      );
    }
    this.#schedule();
  }

  async #refresh(action: RefreshAction): Promise<void> {
    const { session, clock, requestedLifetime } = this.#init;
    this.#lastSent = clock.now();
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
    this.#keepalive?.cancel();
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
