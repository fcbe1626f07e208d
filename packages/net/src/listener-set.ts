import { systemClock, type Clock, type Timer } from './clock.js';
import { anyAddress, familyOf, formatEndpoint, normalizeAddress, type Family } from './endpoint.js';
import { NetworkError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import type { Network, UdpSocket, UdpSocketStats } from './network.js';

/** How often a wildcard listener set looks for added or removed local addresses. */
export const DEFAULT_REFRESH_INTERVAL_MS = 5000;
/** Attempts when an ephemeral port picked for one address is taken on another. */
const EPHEMERAL_ATTEMPTS = 8;

export interface ListenerSetOptions {
  readonly family: Family;
  /**
   * An explicit address: one socket on it. The family's wildcard (the default): one socket per
   * local address of the family, following address changes, so that every answer leaves from the
   * address its request was sent to (RFC 8489 §6.3.1.2). Node's dgram cannot read a datagram's
   * destination (no IP_PKTINFO), so this is the only way that holds; coturn does the same without
   * `-L`. IPv6 link-local addresses (they need a scope) are left out.
   */
  readonly address?: string;
  /** One port for every socket; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Milliseconds between looks at the local addresses (wildcard only). Default 5000. */
  readonly refreshIntervalMs?: number;
}

export interface ListenerSetComponents {
  readonly network: Network;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** Told about every socket of a listener set: those bound now, and those bound or closed later. */
export interface ListenerWatcher {
  added(socket: UdpSocket): void;
  /** The socket is about to be closed (its address went away, or the set closes). */
  removed?(socket: UdpSocket): void;
}

/**
 * The listening sockets of a service port, bound once and shared by several protocol handlers
 * (STUN, TURN) that each `watch()` it. Each handler adds its own `onMessage` handler to each
 * socket (a socket carries several, see `UdpSocket`).
 */
export interface ListenerSet {
  readonly family: Family;
  /** Binds the sockets; resolves when they are bound. Idempotent. Throws NetworkError `ERR_BIND`. */
  start(): Promise<void>;
  /** The port all sockets share (0 before start). */
  port(): number;
  /** True when the set binds one socket per local address (wildcard asked, addresses known). */
  perAddress(): boolean;
  sockets(): readonly UdpSocket[];
  /** Calls `added` for each socket bound now, then reports changes. Returns the unsubscriber. */
  watch(watcher: ListenerWatcher): () => void;
  /** Looks at the local addresses now (the set also does so every `refreshIntervalMs`). */
  refresh(): Promise<void>;
  /** Send-queue counters summed over every socket the set has had. */
  stats(): UdpSocketStats;
  /** Closes every socket; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A listener set; see `ListenerSet`. Call `start()` to bind. */
export function createListenerSet(options: ListenerSetOptions, components: ListenerSetComponents): ListenerSet {
  return new Listeners(options, components);
}

class Listeners implements ListenerSet {
  readonly family: Family;
  readonly #address: string;
  readonly #requestedPort: number;
  readonly #network: Network;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #interval: number;
  readonly #byAddress = new Map<string, UdpSocket>();
  readonly #watchers = new Set<ListenerWatcher>();
  readonly #failing = new Set<string>();
  readonly #gone = { sendQueueBytes: 0, sendQueueDrops: 0, sendQueueDroppedBytes: 0 };
  #port = 0;
  #perAddress = false;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #refreshing: Promise<void> = Promise.resolve();
  #timer: Timer | undefined;

  constructor(options: ListenerSetOptions, components: ListenerSetComponents) {
    this.family = options.family;
    this.#address = options.address ?? anyAddress(options.family);
    if (familyOf(this.#address) !== options.family) {
      throw new NetworkError('ERR_BAD_ADDRESS', `${this.#address} is not an IPv${options.family} address`);
    }
    this.#requestedPort = options.port ?? 0;
    this.#network = components.network;
    this.#clock = components.clock ?? systemClock;
    this.#logger = (components.logger ?? silentLogger).child('net:listeners');
    this.#interval = Math.max(100, options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
  }

  start(): Promise<void> {
    if (this.#closing) return Promise.reject(new NetworkError('ERR_SOCKET_CLOSED', 'listener set is closed'));
    this.#starting ??= this.#bindInitial();
    return this.#starting;
  }

  port(): number {
    return this.#port;
  }

  perAddress(): boolean {
    return this.#perAddress;
  }

  sockets(): readonly UdpSocket[] {
    return [...this.#byAddress.values()];
  }

  watch(watcher: ListenerWatcher): () => void {
    this.#watchers.add(watcher);
    for (const socket of this.#byAddress.values()) this.#tell(watcher, 'added', socket);
    return () => this.#watchers.delete(watcher);
  }

  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#follow());
    return this.#refreshing;
  }

  stats(): UdpSocketStats {
    const sum = { ...this.#gone };
    for (const s of this.#byAddress.values()) addStats(sum, s);
    return sum;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#timer?.cancel();
      await this.#starting?.catch(() => undefined);
      await this.#refreshing.catch(() => undefined);
      await Promise.all([...this.#byAddress.keys()].map((a) => this.#remove(a)));
      this.#watchers.clear();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Local addresses to serve on, or undefined when one socket on `#address` is what to bind. */
  #wanted(): string[] | undefined {
    if (normalizeAddress(this.#address) !== anyAddress(this.family)) return undefined;
    const list = this.#network.interfaceAddresses?.();
    if (list === undefined) return undefined;
    const wanted = list
      .filter((a) => a.family === this.family && !(a.family === 6 && /^fe[89ab]/i.test(a.address)))
      .map((a) => normalizeAddress(a.address));
    return [...new Set(wanted)];
  }

  async #bindInitial(): Promise<void> {
    const wanted = this.#wanted();
    if (wanted === undefined || wanted.length === 0) {
      if (wanted !== undefined) this.#logger.warn('no local address of this family: binding the wildcard', { family: this.family });
      const socket = await this.#network.bindUdp({ family: this.family, address: this.#address, port: this.#requestedPort });
      this.#port = socket.local.port;
      this.#add(normalizeAddress(this.#address), socket);
      return;
    }
    const sockets = await this.#bindAll(wanted);
    if (this.#closing) {
      await Promise.all(sockets.map((s) => s?.close() ?? Promise.resolve()));
      return;
    }
    this.#perAddress = true;
    sockets.forEach((s, i) => {
      if (s !== undefined) this.#add(wanted[i]!, s);
    });
    this.#schedule();
  }

  /**
   * Binds every address on one port. An ephemeral port taken on one address is retried anew. With
   * a fixed port, an address that cannot be bound now (a tentative IPv6 address, a port another
   * program holds there) is left to the next refresh, as long as one address could be bound.
   */
  async #bindAll(addresses: readonly string[]): Promise<(UdpSocket | undefined)[]> {
    if (this.#requestedPort !== 0) {
      const bound: (UdpSocket | undefined)[] = [];
      let first: unknown;
      for (const address of addresses) {
        try {
          bound.push(await this.#network.bindUdp({ family: this.family, address, port: this.#requestedPort }));
        } catch (e) {
          first ??= e;
          bound.push(undefined);
          this.#failing.add(address);
          this.#logger.warn('cannot bind an address yet: retrying at the next refresh', { address, error: e instanceof Error ? e.message : String(e) });
        }
      }
      if (bound.every((s) => s === undefined)) throw first instanceof Error ? first : new NetworkError('ERR_BIND', String(first));
      this.#port = this.#requestedPort;
      return bound;
    }
    for (let attempt = 1; ; attempt++) {
      const bound: UdpSocket[] = [];
      try {
        for (const address of addresses) {
          bound.push(await this.#network.bindUdp({ family: this.family, address, port: bound[0]?.local.port ?? 0 }));
        }
        this.#port = bound[0]?.local.port ?? 0;
        return bound;
      } catch (e) {
        await Promise.all(bound.map((s) => s.close()));
        if (attempt >= EPHEMERAL_ATTEMPTS) throw e;
      }
    }
  }

  #schedule(): void {
    if (this.#closing) return;
    this.#timer = this.#clock.setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, this.#interval);
  }

  /** Binds new addresses and closes the sockets of vanished ones. Never throws. */
  async #follow(): Promise<void> {
    if (!this.#perAddress || this.#closing) return;
    const wanted = this.#wanted() ?? [];
    for (const address of [...this.#byAddress.keys()]) {
      if (!wanted.includes(address)) {
        this.#logger.info('address gone: closing its socket', { address });
        await this.#remove(address);
      }
    }
    for (const address of wanted) {
      if (this.#byAddress.has(address) || this.#closing) continue;
      try {
        const socket = await this.#network.bindUdp({ family: this.family, address, port: this.#port });
        if (this.#closing) {
          await socket.close();
          return;
        }
        this.#failing.delete(address);
        this.#logger.info('new address: serving on it', { endpoint: formatEndpoint(socket.local) });
        this.#add(address, socket);
      } catch (e) {
        // A tentative IPv6 address (duplicate address detection) or a port taken there: next time.
        const level = this.#failing.has(address) ? 'debug' : 'warn';
        this.#failing.add(address);
        this.#logger[level]('cannot bind a new address yet', { address, port: this.#port, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  #add(address: string, socket: UdpSocket): void {
    this.#byAddress.set(address, socket);
    for (const w of this.#watchers) this.#tell(w, 'added', socket);
  }

  async #remove(address: string): Promise<void> {
    const socket = this.#byAddress.get(address);
    if (socket === undefined) return;
    this.#byAddress.delete(address);
    for (const w of this.#watchers) this.#tell(w, 'removed', socket);
    addStats(this.#gone, socket);
    this.#gone.sendQueueBytes = 0;
    await socket.close();
  }

  #tell(watcher: ListenerWatcher, what: 'added' | 'removed', socket: UdpSocket): void {
    try {
      watcher[what]?.(socket);
    } catch (e) {
      // A watcher that throws must not break the set or the other watchers.
      this.#logger.error('listener watcher threw', { what, error: e instanceof Error ? e.message : String(e) });
    }
  }
}

function addStats(sum: { sendQueueBytes: number; sendQueueDrops: number; sendQueueDroppedBytes: number }, socket: UdpSocket): void {
  const s = socket.stats?.();
  if (s === undefined) return;
  sum.sendQueueBytes += s.sendQueueBytes;
  sum.sendQueueDrops += s.sendQueueDrops;
  sum.sendQueueDroppedBytes += s.sendQueueDroppedBytes;
}
