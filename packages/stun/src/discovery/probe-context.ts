import { anyAddress, normalizeAddress, silentLogger, type Clock, type Endpoint, type Family, type Logger, type Network, type UdpSocket } from '@natkit/net';
import {
  readChangedAddress,
  readMappedAddress,
  readOtherAddress,
  readResponseOrigin,
  readSoftware,
  readXorMappedAddress,
  type AttributeSpec,
} from '../proto/index.js';
import { StunClient, type StunResponse } from '../client/stun-client.js';
import { StunTimeoutError } from '../errors.js';
import type { RetransmitPolicy } from '../transaction/retransmit-policy.js';
import type { ProbeOutcome } from './classify-filtering.js';

/** RFC 8489 §6.2: a client SHOULD have at most ten outstanding transactions to one server. */
export const MAX_OUTSTANDING_PER_SERVER = 10;

/** What the discovery needs from outside: sockets, time, logs, randomness. */
export interface DiscoveryComponents {
  readonly network: Network;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly random?: (n: number) => Uint8Array;
}

/** A socket opened for one test, with its STUN client. */
export interface ProbeSocket {
  readonly socket: UdpSocket;
  readonly client: StunClient;
  /** Mappings this socket has seen so far (its first one is compared with the local port). */
  mappings: number;
}

/** A Binding answer reduced to what the classifiers need. */
export interface BindingObservation {
  readonly server: Endpoint;
  readonly from: Endpoint;
  /** XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from an RFC 3489 server. */
  readonly mapped: Endpoint | null;
  readonly xorMapped: Endpoint | null;
  readonly plainMapped: Endpoint | null;
  readonly otherAddress: Endpoint | null;
  readonly responseOrigin: Endpoint | null;
  readonly software: string | null;
  readonly rttMs: number;
  /**
   * The longest the round trip may have taken: `rttMs` for a request sent once, else the time
   * since its first transmission (Karn: the answer may belong to any copy, and timeouts planned
   * from the last one would be too short on a slow path).
   */
  readonly rttUpperBoundMs: number;
  /** Send order of the request that created this observation. */
  readonly order: number;
}

export type ProbeResult =
  | { readonly outcome: 'answered'; readonly observation: BindingObservation }
  | { readonly outcome: Exclude<ProbeOutcome, 'answered' | 'not-run'>; readonly detail: string };

/**
 * Owns the sockets of one family's diagnosis: opens fresh ones, numbers every first send, and
 * closes them all at the end.
 */
export class ProbeContext {
  readonly #components: DiscoveryComponents;
  readonly #sockets: ProbeSocket[] = [];
  readonly log: Logger;
  #order = 0;
  readonly #outstanding = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();

  constructor(
    components: DiscoveryComponents,
    readonly family: Family,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#components = components;
    this.log = (components.logger ?? silentLogger).child(`stun:discovery:v${family}`);
  }

  get clock(): Clock {
    return this.#components.clock;
  }

  get random(): ((n: number) => Uint8Array) | undefined {
    return this.#components.random;
  }

  /**
   * A fresh socket on an ephemeral port: each test starts without NAT state. `connect` makes it a
   * connected socket, which hears the ICMP errors an unconnected one never sees.
   */
  async open(connect?: Endpoint): Promise<ProbeSocket> {
    this.signal?.throwIfAborted();
    const socket = await this.#components.network.bindUdp({
      family: this.family,
      address: anyAddress(this.family),
      ...(connect === undefined ? {} : { connect }),
    });
    const client = new StunClient(
      {},
      {
        socket,
        clock: this.#components.clock,
        logger: this.log,
        ...(this.#components.random === undefined ? {} : { random: this.#components.random }),
      },
    );
    const probe: ProbeSocket = { socket, client, mappings: 0 };
    this.#sockets.push(probe);
    return probe;
  }

  /** The next send-order number. */
  nextOrder(): number {
    return this.#order++;
  }

  /**
   * Takes one of the server's transaction slots: synchronously when one is free (so that the
   * send order of the callers is kept), else a promise of one.
   */
  #acquire(server: string): Promise<void> | undefined {
    const busy = this.#outstanding.get(server) ?? 0;
    if (busy < MAX_OUTSTANDING_PER_SERVER) {
      this.#outstanding.set(server, busy + 1);
      return undefined;
    }
    return new Promise((resolve) => {
      const queue = this.#waiting.get(server) ?? [];
      queue.push(resolve);
      this.#waiting.set(server, queue);
    });
  }

  #release(server: string): void {
    const next = this.#waiting.get(server)?.shift();
    if (next !== undefined) {
      next(); // the slot passes straight to the next waiter
      return;
    }
    const busy = (this.#outstanding.get(server) ?? 1) - 1;
    if (busy <= 0) this.#outstanding.delete(server);
    else this.#outstanding.set(server, busy);
  }

  /**
   * A Binding request; never rejects except on abort. At most ten are outstanding towards one
   * server IP across all the sockets of the diagnosis (RFC 8489 §6.2); more wait their turn.
   */
  async binding(
    probe: ProbeSocket,
    to: Endpoint,
    policy: RetransmitPolicy,
    extra: { attributes?: readonly AttributeSpec[]; expectFrom?: Endpoint | 'any' } = {},
  ): Promise<ProbeResult> {
    const server = normalizeAddress(to.address);
    const wait = this.#acquire(server);
    if (wait !== undefined) await wait;
    try {
      return await this.#transact(probe, to, policy, extra);
    } finally {
      this.#release(server);
    }
  }

  async #transact(
    probe: ProbeSocket,
    to: Endpoint,
    policy: RetransmitPolicy,
    extra: { attributes?: readonly AttributeSpec[]; expectFrom?: Endpoint | 'any' },
  ): Promise<ProbeResult> {
    const order = this.nextOrder();
    const sentAt = this.clock.now();
    let response: StunResponse;
    try {
      response = await probe.client.request(to, {
        policy,
        ...(extra.attributes === undefined ? {} : { attributes: extra.attributes }),
        ...(extra.expectFrom === undefined ? {} : { expectFrom: extra.expectFrom }),
        ...(this.signal === undefined ? {} : { signal: this.signal }),
      });
    } catch (e) {
      this.signal?.throwIfAborted();
      if (e instanceof StunTimeoutError) {
        return e.wrongSource.length > 0
          ? { outcome: 'wrong-source', detail: e.message }
          : { outcome: 'silent', detail: e.message };
      }
      throw e;
    }
    if (response.message.class === 'error') return { outcome: 'error', detail: 'error response' };
    const rttUpperBoundMs = response.attempts > 1 ? Math.max(response.rttMs, this.clock.now() - sentAt) : response.rttMs;
    return { outcome: 'answered', observation: observe(to, response, order, rttUpperBoundMs) };
  }

  async close(): Promise<void> {
    for (const p of this.#sockets) p.client.close();
    await Promise.all(this.#sockets.map((p) => p.socket.close()));
    this.#sockets.length = 0;
  }
}

function observe(server: Endpoint, r: StunResponse, order: number, rttUpperBoundMs: number): BindingObservation {
  const xorMapped = readXorMappedAddress(r.message) ?? null;
  const plainMapped = readMappedAddress(r.message) ?? null;
  return {
    server,
    from: r.from,
    mapped: xorMapped ?? plainMapped,
    xorMapped,
    plainMapped,
    // RFC 3489 servers name their alternate address CHANGED-ADDRESS (RFC 3489 §11.2.3).
    otherAddress: readOtherAddress(r.message) ?? readChangedAddress(r.message) ?? null,
    responseOrigin: readResponseOrigin(r.message) ?? null,
    software: readSoftware(r.message) ?? null,
    rttMs: r.rttMs,
    rttUpperBoundMs,
    order,
  };
}
