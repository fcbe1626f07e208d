import { sendTargetError, silentLogger, type Clock, type Endpoint, type Logger, type Timer, type UdpSocket } from '@natkit/net';
import {
  classifyPacket,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  StunMethod,
  type AttributeSpec,
  type EncodeOptions,
  type StunMessage,
} from '../proto/index.js';
import { StunTimeoutError, StunTransactionError } from '../errors.js';
import { TransactionTable, type TransactionAction } from '../transaction/transaction-table.js';
import { checkRetransmitPolicy, type RetransmitPolicy } from '../transaction/retransmit-policy.js';

/** An answer to a request: a success or an error response (an error response is a value). */
export interface StunResponse {
  readonly message: StunMessage;
  readonly from: Endpoint;
  readonly rttMs: number;
  readonly attempts: number;
}

export interface StunRequestOptions {
  readonly method?: number;
  readonly attributes?: readonly AttributeSpec[];
  readonly transactionId?: Uint8Array;
  readonly fingerprint?: boolean;
  /** Signs the request: MESSAGE-INTEGRITY and/or MESSAGE-INTEGRITY-SHA256 keys (RFC 8489 §9). */
  readonly integrity?: Pick<EncodeOptions, 'integrityKey' | 'integritySha256Key'>;
  readonly policy?: RetransmitPolicy;
  /** Where the answer must come from (default: where the request went); `'any'` for anywhere. */
  readonly expectFrom?: Endpoint | 'any';
  readonly signal?: AbortSignal;
}

export interface StunClientOptions {
  /** Default retransmission policy: diagnostic values (RTO 100 ms, 5 sends), not RFC 8489's 39.5 s. */
  readonly policy?: RetransmitPolicy;
  readonly maxPerDestination?: number;
}

export interface StunClientComponents {
  readonly socket: UdpSocket;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Source of transaction ids; default crypto.getRandomValues. */
  readonly random?: (n: number) => Uint8Array;
}

/** Interactive default: sends at 0, 100, 300, 700, 1500 ms; gives up at 1.9 s. */
export const DEFAULT_CLIENT_POLICY: RetransmitPolicy = { rtoMs: 100, rc: 5, rm: 4, maxRtoMs: 800 };

interface Pending {
  readonly resolve: (r: StunResponse) => void;
  readonly reject: (e: Error) => void;
  readonly to: Endpoint;
  readonly cleanup: () => void;
}

/**
 * STUN client transactions over one UDP socket (which it shares: datagrams that are not STUN
 * responses to its own requests are left to other handlers). Retransmits per RFC 8489 §6.2.1 with
 * an injected clock; matches answers by transaction id and by source address.
 */
export class StunClient {
  readonly #socket: UdpSocket;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: ((n: number) => Uint8Array) | undefined;
  readonly #table: TransactionTable;
  readonly #pending = new Map<string, Pending>();
  readonly #policy: RetransmitPolicy;
  readonly #unsubscribe: () => void;
  #timer: Timer | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: StunClientOptions, components: StunClientComponents) {
    this.#socket = components.socket;
    this.#clock = components.clock;
    this.#log = (components.logger ?? silentLogger).child('stun:client');
    this.#random = components.random;
    this.#policy = options.policy ?? DEFAULT_CLIENT_POLICY;
    checkRetransmitPolicy(this.#policy);
    this.#table = new TransactionTable(
      options.maxPerDestination === undefined ? {} : { maxPerDestination: options.maxPerDestination },
    );
    this.#unsubscribe = this.#socket.onMessage((data, from) => this.#receive(data, from));
  }

  get socket(): UdpSocket {
    return this.#socket;
  }

  /** Sends a request (Binding by default) and resolves with the answer from the expected address. */
  request(to: Endpoint, options: StunRequestOptions = {}): Promise<StunResponse> {
    if (this.#closed) return Promise.reject(new StunTransactionError('ERR_CLIENT_CLOSED', 'the STUN client is closed'));
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason as Error);
    // Bad input rejects at once (a bad destination would otherwise just time out).
    const badTarget = sendTargetError(to, this.#socket.family);
    if (badTarget !== undefined) return Promise.reject(badTarget);
    try {
      if (options.policy !== undefined) checkRetransmitPolicy(options.policy);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const transactionId = options.transactionId ?? createTransactionId(this.#random);
    if (transactionId.length !== 12) {
      // RFC 8489 §5: 96 bits. (A 16-byte RFC 3489 id could never be matched to its answer.)
      return Promise.reject(new StunTransactionError('ERR_TRANSACTION_REFUSED', `a transaction id has 12 bytes, not ${transactionId.length}`));
    }
    const bytes = encodeMessage(
      {
        method: options.method ?? StunMethod.Binding,
        class: 'request',
        transactionId,
        attributes: options.attributes ?? [],
      },
      { ...options.integrity, fingerprint: options.fingerprint ?? true },
    );
    const started = this.#table.start(transactionId, bytes, to, this.#clock.now(), {
      policy: options.policy ?? this.#policy,
      ...(options.expectFrom === undefined ? {} : { expectFrom: options.expectFrom }),
    });
    if (!started.ok) {
      return Promise.reject(new StunTransactionError('ERR_TRANSACTION_REFUSED', `cannot start transaction: ${started.reason}`));
    }
    const { key } = started.action;
    return new Promise<StunResponse>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        this.#table.cancel(key);
        this.#settle(key)?.reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(key, { resolve, reject, to, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      this.#perform(started.action);
      this.#schedule();
    });
  }

  /** Rejects every outstanding request and stops listening; idempotent. Does not close the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#timer?.cancel();
    for (const key of [...this.#pending.keys()]) {
      this.#table.cancel(key);
      this.#settle(key)?.reject(new StunTransactionError('ERR_CLIENT_CLOSED', 'the STUN client was closed'));
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #receive(data: Uint8Array, from: Endpoint): void {
    if (classifyPacket(data) !== 'stun') return;
    const decoded = decodeMessage(new Uint8Array(data)); // a copy: `data` may be reused by the socket
    if (!decoded.ok) {
      this.#log.trace('dropped malformed STUN', { reason: decoded.reason });
      return;
    }
    const message = decoded.value;
    if (message.class !== 'success' && message.class !== 'error') return;
    const result = this.#table.match(message.transactionId, from, this.#clock.now());
    if (result.kind !== 'matched') {
      if (result.kind === 'wrong-source') this.#log.debug('answer from an unexpected address', { from });
      return;
    }
    this.#settle(result.key)?.resolve({ message, from, rttMs: result.rttMs, attempts: result.attempts });
    this.#schedule();
  }

  #settle(key: string): Pending | undefined {
    const pending = this.#pending.get(key);
    if (pending === undefined) return undefined;
    this.#pending.delete(key);
    pending.cleanup();
    return pending;
  }

  #perform(action: TransactionAction): void {
    if (action.type === 'send') {
      this.#socket.send(action.bytes, action.to);
      return;
    }
    const pending = this.#settle(action.key);
    pending?.reject(new StunTimeoutError(pending.to, action.attempts, action.wrongSource));
  }

  #schedule(): void {
    const deadline = this.#table.nextDeadline();
    if (deadline === undefined) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= deadline) return;
    this.#timer?.cancel();
    this.#timerAt = deadline;
    this.#timer = this.#clock.setTimeout(() => this.#onTimer(), Math.max(0, deadline - this.#clock.now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    // Bounded: each pass performs at most one action per transaction.
    for (let pass = 0; pass < 64; pass++) {
      const actions = this.#table.poll(this.#clock.now());
      if (actions.length === 0) break;
      for (const action of actions) this.#perform(action);
    }
    this.#schedule();
  }
}
