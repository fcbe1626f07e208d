import type { Clock, Timer } from '@natkit/net';
import type { RelayCredentials } from '../protocol/messages/registered.js';

/** Callers waiting at once for fresh credentials, at most (more get the current ones at once). */
const MAX_WAITERS = 16;

export interface RelayCredentialsHooks {
  readonly isClosed: () => boolean;
  /** Sends `refresh-relay` to the server. */
  readonly ask: () => void;
  /** How long a refresh waits for its answer by default, ms. */
  readonly timeoutMs: number;
}

/**
 * The relay credentials of a rendezvous client (see RendezvousClient.relay): the freshest
 * received, when they expire on our clock, the callers waiting for fresh ones, and the renewal
 * at half of their lifetime (again at half of what is left when unanswered).
 */
export class RelayCredentialsKeeper {
  #relay: RelayCredentials | null;
  #expiresAt: number | null;
  #waiters: ((relay: RelayCredentials | null) => void)[] = [];
  #renewal: Timer | null = null;

  constructor(
    relay: RelayCredentials | null,
    private readonly clock: Clock,
    private readonly hooks: RelayCredentialsHooks,
  ) {
    this.#relay = relay;
    this.#expiresAt = expiryOf(relay, clock.now());
  }

  get current(): RelayCredentials | null {
    return this.#relay;
  }

  get expiresAt(): number | null {
    return this.#expiresAt;
  }

  /** See RendezvousClient.refreshRelay. */
  refresh(timeoutMs = this.hooks.timeoutMs): Promise<RelayCredentials | null> {
    if (this.hooks.isClosed() || this.#waiters.length >= MAX_WAITERS) return Promise.resolve(this.#relay);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve(this.#relay);
      }, timeoutMs);
      const done = (relay: RelayCredentials | null): void => {
        timer.cancel();
        resolve(relay);
      };
      this.#waiters.push(done);
      this.hooks.ask();
    });
  }

  /** The server sent credentials (or none): they are the current ones, the waiters get them. */
  received(relay: RelayCredentials | null): void {
    this.#relay = relay;
    this.#expiresAt = expiryOf(relay, this.clock.now());
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(relay);
    this.scheduleRenewal();
  }

  /** Asks again at half of the time left (not below 1 s before expiry, when it is too late to matter). */
  scheduleRenewal(): void {
    this.#renewal?.cancel();
    this.#renewal = null;
    const expiresAt = this.#expiresAt;
    if (this.hooks.isClosed() || expiresAt === null) return;
    const left = expiresAt - this.clock.now();
    if (left < 1_000) return;
    this.#renewal = this.clock.setTimeout(() => {
      this.#renewal = null;
      void this.refresh().then(() => this.scheduleRenewal());
    }, left / 2);
  }

  stop(): void {
    this.#renewal?.cancel();
  }
}

/**
 * When credentials received at `now` expire, on our clock: `ttl` whole seconds from when the
 * server minted them, which may round the expiry down by up to a second (TURN REST user names
 * carry whole Unix seconds), so a second earlier.
 */
function expiryOf(relay: RelayCredentials | null, now: number): number | null {
  return relay === null ? null : now + Math.max(0, relay.ttl - 1) * 1000;
}
