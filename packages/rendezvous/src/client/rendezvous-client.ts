import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { silentLogger, systemClock, type Clock, type Logger, type Timer } from '@natkit/net';
import { RendezvousConnectionError, RendezvousRefusedError } from '../errors.js';
import type { Candidate } from '../protocol/candidate.js';
import { decodeServerMessage } from '../protocol/decode.js';
import { encodeMessage } from '../protocol/encode.js';
import type { WireEndpoint } from '../protocol/fields.js';
import type { ErrorMessage } from '../protocol/messages/error.js';
import type { Hello } from '../protocol/messages/hello.js';
import type { Introduce } from '../protocol/messages/introduce.js';
import type { Registered, RelayCredentials } from '../protocol/messages/registered.js';
import type { NatProfile } from '../protocol/nat-profile.js';
import type { ClientMessage } from '../protocol/client-message.js';
import type { AddressToken, AddressVerified } from '../protocol/messages/verify-address.js';
import { PendingRequests } from './pending-requests.js';
import { RelayCredentialsKeeper } from './relay-credentials-keeper.js';
import { registerHandshake, type RendezvousIdentity } from './register-handshake.js';
import { TypedEmitter } from './typed-emitter.js';

export interface RendezvousClientOptions {
  /** `ws://host:port/rendezvous` */
  readonly url: string;
  readonly identity: RendezvousIdentity;
  readonly nat: NatProfile;
  readonly candidates: readonly Candidate[];
  /** Time to connect and register (default 10 s). */
  readonly timeoutMs?: number;
  /** Default time a `connect` waits for its introduction (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RendezvousClientComponents {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** An introduction as received: the message, and when (on the client's clock) to fire. */
export interface Introduction extends Introduce {
  readonly receivedAt: number;
  readonly fireAt: number;
}

export interface RendezvousClientEvents {
  /** Both roles: a `connect` of ours was answered, or another peer asked for us. */
  introduce: [Introduction];
  /** Fresh relay credentials arrived (the answer to `refreshRelay`, asked automatically before the old ones expire). */
  relay: [RelayCredentials | null];
  /** Peer `from` (a peer we told of ours, or that has a connection to us) moved its relay: its registered relay candidates now. */
  'peer-relay': [{ readonly from: string; readonly candidates: readonly Candidate[] }];
  /** A refusal not tied to a request of ours (e.g. `rate-limited`, `superseded`). */
  refused: [RendezvousRefusedError];
  /** (v2) The server bound a UDP address of ours to our peer id (an address token came back). */
  'address-verified': [AddressVerified];
  /** The connection is gone; `error` says why when it was not our close(). */
  close: [{ readonly code: number; readonly error: RendezvousRefusedError | null }];
}

/** A registered connection to a rendezvous server. Create it with connectRendezvous(). */
export class RendezvousClient extends TypedEmitter<RendezvousClientEvents> {
  readonly peerId: string;
  /** The address the server saw us come from. */
  readonly observed: WireEndpoint;
  readonly #relay: RelayCredentialsKeeper;
  readonly #requests: PendingRequests<Introduction>;
  readonly #tokens: PendingRequests<AddressToken>;
  readonly #requestPrefix = randomBytes(6).toString('base64url');
  #sequence = 0;
  #lastError: RendezvousRefusedError | null = null;
  #closed = false;
  #watchdog: Timer | null = null;

  /** @internal use connectRendezvous() */
  constructor(
    readonly ws: WebSocket,
    readonly hello: Hello,
    registered: Registered,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly requestTimeoutMs: number,
  ) {
    super(logger);
    this.peerId = registered.peerId;
    this.observed = registered.observed;
    this.#relay = new RelayCredentialsKeeper(registered.relay, clock, { isClosed: () => this.#closed, ask: () => this.#send({ type: 'refresh-relay' }), timeoutMs: requestTimeoutMs });
    this.#requests = new PendingRequests(clock);
    this.#tokens = new PendingRequests(clock);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('error', (error) => logger.debug('websocket error', { error: error.message }));
    ws.once('close', (code) => this.#onClose(code));
    this.#armWatchdog();
    this.#relay.scheduleRenewal();
  }

  /** Credentials for the server's relay (the freshest received), or null. */
  get relay(): RelayCredentials | null {
    return this.#relay.current;
  }

  /** When (on the client's clock, ms) the current relay credentials expire, or null. */
  get relayExpiresAt(): number | null {
    return this.#relay.expiresAt;
  }

  /**
   * Asks the server for fresh relay credentials (`refresh-relay`); resolves with them, or with
   * the current ones when no answer comes within `timeoutMs` (default 10 s). Done automatically
   * at half of the credentials' lifetime (again at half of what is left when unanswered).
   */
  refreshRelay(options: { readonly timeoutMs?: number } = {}): Promise<RelayCredentials | null> {
    return this.#relay.refresh(options.timeoutMs);
  }

  /** Asks for an introduction to `peerId`; resolves with ours (the other side gets its own). */
  connect(peerId: string, options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {}): Promise<Introduction> {
    if (this.#closed) return Promise.reject(new RendezvousConnectionError('ERR_RENDEZVOUS_CLOSED', 'the rendezvous client is closed'));
    const requestId = `${this.#requestPrefix}.${(++this.#sequence).toString(36)}`;
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const answer = this.#requests.wait(requestId, timeoutMs, () => new RendezvousConnectionError('ERR_RENDEZVOUS_TIMEOUT', `no introduction to ${peerId} within ${timeoutMs} ms`), options.signal);
    this.#send({ type: 'connect', requestId, to: peerId });
    return answer;
  }

  /** The protocol version the server speaks with us (`hello.version`). */
  get version(): number {
    return this.hello.version;
  }

  /**
   * (v2) Asks for a single-use token to prove our UDP address of `family`: send it in a STUN
   * Binding request (addressTokenAttribute) from that socket to the server's UDP port of that
   * family; the server answers with a Binding indication carrying a proof to that address, which
   * proveAddress() returns; the `address-verified` event follows. Rejects with a
   * RendezvousRefusedError (`address-unverifiable`, `rate-limited`) or on timeout.
   */
  requestAddressToken(family: 4 | 6, options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {}): Promise<AddressToken> {
    if (this.#closed) return Promise.reject(new RendezvousConnectionError('ERR_RENDEZVOUS_CLOSED', 'the rendezvous client is closed'));
    if (this.hello.version < 2) return Promise.reject(new RendezvousConnectionError('ERR_RENDEZVOUS_PROTOCOL', `the server speaks natkit-rendezvous.v${this.hello.version}: no address verification`));
    const requestId = `${this.#requestPrefix}.${(++this.#sequence).toString(36)}`;
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const answer = this.#tokens.wait(requestId, timeoutMs, () => new RendezvousConnectionError('ERR_RENDEZVOUS_TIMEOUT', `no address token within ${timeoutMs} ms`), options.signal);
    this.#send({ type: 'verify-address', requestId, family });
    return answer;
  }

  /**
   * (v2) Returns the ADDRESS-PROOF bytes the server sent, in a Binding indication, to the address
   * our token came from (readAddressProof on that socket's datagrams): the server binds the
   * address then, and `address-verified` follows.
   */
  proveAddress(family: 4 | 6, proof: Uint8Array): void {
    this.#send({ type: 'address-proof', family, proof: Buffer.from(proof).toString('base64url') });
  }

  /** Announces a new NAT profile and candidates (after a network change). */
  update(nat: NatProfile, candidates: readonly Candidate[]): void {
    this.#send({ type: 'update', nat, candidates: [...candidates] });
  }

  /** Asks the server to pass our registered relay candidates to `peerId` (after the `update` that announced them). */
  notifyRelay(peerId: string): void {
    this.#send({ type: 'notify-relay', to: peerId });
  }

  /** Closes the connection; idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#relay.stop();
      this.ws.close(1000, 'bye');
    }
    if (this.ws.readyState === this.ws.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => this.ws.terminate(), 1_000);
      this.ws.once('close', () => {
        timer.cancel();
        resolve();
      });
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #send(message: ClientMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeMessage(message));
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#armWatchdog();
    const decoded = decodeServerMessage(data, isBinary);
    if (!decoded.ok) {
      this.logger.debug('dropped a server message', { code: decoded.code, reason: decoded.reason });
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'ping':
        this.#send({ type: 'pong', nonce: message.nonce });
        return;
      case 'introduce':
        return this.#onIntroduce(message);
      case 'error':
        return this.#onError(message);
      case 'address-token':
        this.#tokens.resolve(message.requestId, message);
        return;
      case 'address-verified':
        this.emit('address-verified', message);
        return;
      case 'relay-credentials':
        this.#relay.received(message.relay);
        this.emit('relay', message.relay);
        return;
      case 'peer-relay':
        this.emit('peer-relay', { from: message.from, candidates: message.candidates });
        return;
      default:
        return;
    }
  }

  #onIntroduce(message: Introduce): void {
    const receivedAt = this.clock.now();
    const introduction: Introduction = { ...message, receivedAt, fireAt: receivedAt + message.fireInMs };
    if (message.role === 'initiator') this.#requests.resolve(message.requestId, introduction);
    this.emit('introduce', introduction);
  }

  #onError(message: ErrorMessage): void {
    const error = new RendezvousRefusedError(message.code, message.message, message.retryAfterMs ?? null);
    this.#lastError = error;
    if (message.requestId !== undefined && (this.#requests.reject(message.requestId, error) || this.#tokens.reject(message.requestId, error))) return;
    this.emit('refused', error);
  }

  #onClose(code: number): void {
    this.#closed = true;
    this.#watchdog?.cancel();
    this.#relay.stop();
    this.#requests.rejectAll(new RendezvousConnectionError('ERR_RENDEZVOUS_CLOSED', `the rendezvous connection closed (${code})`));
    this.#tokens.rejectAll(new RendezvousConnectionError('ERR_RENDEZVOUS_CLOSED', `the rendezvous connection closed (${code})`));
    this.emit('close', { code, error: this.#lastError });
  }

  /** Nothing from the server for 3 heartbeats: the connection is dead, drop it. */
  #armWatchdog(): void {
    this.#watchdog?.cancel();
    if (this.#closed) return;
    this.#watchdog = this.clock.setTimeout(() => this.ws.terminate(), this.hello.heartbeatMs * 3);
  }
}

/** Connects to a rendezvous server and registers; resolves once `registered`. */
export async function connectRendezvous(options: RendezvousClientOptions, components: RendezvousClientComponents = {}): Promise<RendezvousClient> {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('rendezvous:client');
  const input = { url: options.url, identity: options.identity, nat: options.nat, candidates: options.candidates, timeoutMs: options.timeoutMs ?? 10_000, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  return registerHandshake(input, clock, (ws, hello, registered) => new RendezvousClient(ws, hello, registered, clock, logger, options.requestTimeoutMs ?? 10_000));
}
