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
  /** The peer's own UDP socket (allocations over UDP are made from it). */
  readonly socket: UdpSocket;
  /** Data that came through the allocation. */
  readonly onMessage: (data: Uint8Array, from: Endpoint) => void;
  /** The allocation was lost (`allocation: null`) or replaced: announce the new candidates, permit the peers again. */
  readonly onChanged: (setup: RelaySetup) => void;
}

/**
 * Keeps the peer's relay allocation: when it is lost (the server answers 437 to a refresh, it
 * expired, the keepalive saw our NAT rebind, or the TCP connection closed) it allocates again
 * over the same transport, with backoff, and hands the new one to `onChanged`.
 */
export class RelayKeeper {
  #setup: RelaySetup;
  #off: (() => void)[] = [];
  #retry: Timer | null = null;
  #attempts = 0;
  #closed = false;

  constructor(setup: RelaySetup, private readonly deps: RelayKeeperDeps) {
    this.#setup = setup;
    this.#watch();
  }

  get setup(): RelaySetup {
    return this.#setup;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#retry?.cancel();
    for (const off of this.#off) off();
    await this.#setup.allocation?.socket.close();
  }

  #watch(): void {
    const allocation = this.#setup.allocation;
    if (allocation === null) return;
    this.#off = [
      allocation.socket.onMessage((data, from) => this.deps.onMessage(data, from)),
      allocation.socket.onError((e) => {
        if (e instanceof TurnClientError && e.code === 'ERR_TURN_CLOSED') this.#lost(allocation.transport === 'udp' ? 'udp' : 'tcp', e);
      }),
    ];
  }

  #lost(mode: 'udp' | 'tcp', e: Error): void {
    if (this.#closed || this.#setup.allocation === null) return;
    for (const off of this.#off) off();
    this.#off = [];
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
    this.#watch();
    this.deps.onChanged(this.#setup);
  }
}
