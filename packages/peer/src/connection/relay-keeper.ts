import type { Endpoint, Timer, UdpSocket } from '@natkit/net';
import type { RelayCredentials } from '@natkit/rendezvous';
import { TurnClientError } from '@natkit/turn';
import { setupRelay, type RelaySetup, type RelaySetupDeps } from './relay-setup.js';

/** Re-allocation attempts after a loss: 1 s, 2 s, 4 s ... at most 60 s apart, at most 20 (about 15 min). */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
const MAX_ATTEMPTS = 20;

export interface RelayKeeperDeps extends Omit<RelaySetupDeps, 'signal'> {
  readonly server: Endpoint;
  /** The rendezvous-issued credentials (asked again at each attempt). */
  readonly credentials: () => RelayCredentials | null;
  /** When (clock ms) the credentials `credentials()` returns now expire; null: never (static). */
  readonly credentialsExpireAt?: () => number | null;
  /** Asks the rendezvous for fresh credentials (resolves with them, or with the old ones when it does not answer). */
  readonly renewCredentials?: () => Promise<RelayCredentials | null>;
  /** The peer's own UDP socket (allocations over UDP are made from it). */
  readonly socket: UdpSocket;
  /** Data that came through the allocation. */
  readonly onMessage: (data: Uint8Array, from: Endpoint) => void;
  /** The allocation was lost (`allocation: null`) or replaced: announce the new candidates, permit the peers again. */
  readonly onChanged: (setup: RelaySetup) => void;
}

/** The allocation moves to fresh credentials this long before its own expire: a quarter of their lifetime, between 0.5 s and 60 s. */
const ROTATE_MARGIN_MIN_MS = 500;
const ROTATE_MARGIN_MAX_MS = 60_000;
/** Without fresh credentials yet, the move is tried again this often until the old ones expire. */
const ROTATE_RETRY_MS = 1000;

/**
 * Keeps the peer's relay allocation: when it is lost (the server answers 437 to a refresh, it
 * expired, the keepalive saw our NAT rebind, or the TCP connection closed) it allocates again
 * over the same transport, with backoff, and hands the new one to `onChanged`. Rendezvous-issued
 * credentials are short-lived (TURN REST: the relay refuses every request signed with them once
 * they expire, and an allocation keeps the user name it was made with), so before they expire
 * the allocation is moved to fresh ones: deleted, and made again with them (`onChanged` twice).
 */
export class RelayKeeper {
  #setup: RelaySetup;
  #off: (() => void)[] = [];
  #retry: Timer | null = null;
  #rotation: Timer | null = null;
  #attempts = 0;
  #closed = false;
  /** The user name and expiry (clock ms) of the credentials the allocation was made with. */
  #madeWith: { readonly username: string; readonly expiresAt: number | null } | null;

  constructor(setup: RelaySetup, private readonly deps: RelayKeeperDeps) {
    this.#setup = setup;
    this.#madeWith = this.#currentCredentials();
    this.#watch();
  }

  get setup(): RelaySetup {
    return this.#setup;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#retry?.cancel();
    this.#rotation?.cancel();
    for (const off of this.#off) off();
    await this.#setup.allocation?.socket.close();
  }

  /**
   * Fresh credentials arrived (the rendezvous client asks at half of their lifetime): move the
   * allocation to them now, while the old ones have half their lifetime left, rather than a
   * margin before they expire (the fallback when renewals do not come).
   */
  credentialsRenewed(): void {
    const fresh = this.#currentCredentials();
    if (this.#closed || this.#setup.allocation === null || fresh === null || fresh.username === this.#madeWith?.username) return;
    this.#scheduleRotation(0);
  }

  /**
   * A connection sending through the allocation stopped hearing its peer: ask the server now
   * whether our NAT rebound (the socket rate-limits, see RelayedSocket.checkNow); a rebinding
   * shows as a loss and the allocation is made again at once.
   */
  checkAllocation(): void {
    const allocation = this.#setup.allocation;
    if (this.#closed || allocation === null || allocation.transport !== 'udp') return;
    if (allocation.socket.checkNow()) this.deps.logger.debug('a connection over the relay went silent: checking the allocation');
  }

  #currentCredentials(): { readonly username: string; readonly expiresAt: number | null } | null {
    const c = this.deps.credentials();
    return c === null ? null : { username: c.username, expiresAt: this.deps.credentialsExpireAt?.() ?? null };
  }

  /** Moves the allocation to fresh credentials a margin before its own expire. */
  #scheduleRotation(delayMs?: number): void {
    this.#rotation?.cancel();
    this.#rotation = null;
    const expiresAt = this.#madeWith?.expiresAt ?? null;
    if (this.#closed || this.#setup.allocation === null || expiresAt === null) return;
    const now = this.deps.clock.now();
    const margin = Math.min(ROTATE_MARGIN_MAX_MS, Math.max(ROTATE_MARGIN_MIN_MS, (expiresAt - now) / 4));
    this.#rotation = this.deps.clock.setTimeout(() => void this.#rotate(), delayMs ?? Math.max(0, expiresAt - margin - now));
  }

  async #rotate(): Promise<void> {
    this.#rotation = null;
    const allocation = this.#setup.allocation;
    if (this.#closed || allocation === null) return;
    let fresh = this.#currentCredentials();
    if (fresh?.username === this.#madeWith?.username) {
      await this.deps.renewCredentials?.();
      fresh = this.#currentCredentials();
    }
    if (this.#closed || this.#setup.allocation !== allocation) return;
    if (fresh === null || fresh.username === this.#madeWith?.username) {
      const expiresAt = this.#madeWith?.expiresAt ?? 0;
      if (this.deps.clock.now() < expiresAt) this.#scheduleRotation(ROTATE_RETRY_MS);
      else this.deps.logger.warn('relay credentials expired and none fresh from the rendezvous: the allocation lapses at its next refresh');
      return;
    }
    this.deps.logger.debug('relay credentials about to expire: allocating with fresh ones');
    this.#drop();
    this.#setup = { allocation: null, udpWorks: this.#setup.udpWorks, problem: 'moving the relay allocation to fresh credentials' };
    this.deps.onChanged(this.#setup);
    await allocation.socket.close(); // deletes it (Refresh, lifetime 0) while its credentials still work
    this.#attempts = 0;
    void this.#reallocate(allocation.transport === 'udp' ? 'udp' : 'tcp');
  }

  #drop(): void {
    for (const off of this.#off) off();
    this.#off = [];
    this.#rotation?.cancel();
    this.#rotation = null;
  }

  #watch(): void {
    const allocation = this.#setup.allocation;
    if (allocation === null) return;
    this.#scheduleRotation();
    this.#off = [
      allocation.socket.onMessage((data, from) => this.deps.onMessage(data, from)),
      allocation.socket.onError((e) => {
        if (e instanceof TurnClientError && e.code === 'ERR_TURN_CLOSED') this.#lost(allocation.transport === 'udp' ? 'udp' : 'tcp', e);
      }),
    ];
  }

  #lost(mode: 'udp' | 'tcp', e: Error): void {
    if (this.#closed || this.#setup.allocation === null) return;
    this.#drop();
    this.deps.logger.warn('relay allocation lost: allocating again', { error: e.message });
    this.#setup = { allocation: null, udpWorks: this.#setup.udpWorks, problem: `relay allocation lost (${e.message}); allocating again` };
    this.deps.onChanged(this.#setup);
    this.#attempts = 0;
    this.#schedule(mode, 0);
  }

  #schedule(mode: 'udp' | 'tcp', delayMs: number): void {
    this.#retry = this.deps.clock.setTimeout(() => void this.#reallocate(mode), delayMs);
  }

  async #reallocate(mode: 'udp' | 'tcp'): Promise<void> {
    if (this.#closed) return;
    this.#attempts++;
    const { network, clock, logger, keepaliveMs } = this.deps;
    // Credentials that expired (or are about to) would only be refused: ask for fresh ones first.
    const expiresAt = this.deps.credentialsExpireAt?.() ?? null;
    if (expiresAt !== null && clock.now() > expiresAt - ROTATE_MARGIN_MIN_MS) await this.deps.renewCredentials?.();
    if (this.#closed) return;
    const madeWith = this.#currentCredentials();
    const setup = await setupRelay(mode, this.deps.server, this.deps.credentials(), this.deps.socket, { network, clock, logger, ...(keepaliveMs === undefined ? {} : { keepaliveMs }) });
    if (this.#closed) {
      await setup.allocation?.socket.close();
      return;
    }
    if (setup.allocation === null) {
      if (this.#attempts >= MAX_ATTEMPTS) {
        this.#setup = { ...this.#setup, problem: `relay allocation lost; ${this.#attempts} attempts to allocate again failed: ${setup.problem ?? ''}` };
        logger.warn('relay: giving up allocating again', { attempts: this.#attempts, problem: setup.problem ?? '' });
        return;
      }
      this.#schedule(mode, Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.#attempts - 1)));
      return;
    }
    logger.info('relay allocated again', { relayed: `${setup.allocation.relayed.address}:${setup.allocation.relayed.port}` });
    this.#setup = { ...setup, udpWorks: this.#setup.udpWorks };
    this.#madeWith = madeWith;
    this.#watch();
    this.deps.onChanged(this.#setup);
  }
}
