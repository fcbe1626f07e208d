import type { Endpoint } from '@natkit/net';
import {
  readErrorCode,
  software,
  StunClient,
  StunTimeoutError,
  StunTransactionError,
  type AttributeSpec,
  type RetransmitPolicy,
  type StunResponse,
} from '@natkit/stun';
import { TurnMethod } from '../proto/constants.js';
import { ClientAuthState, type ChallengeFailure } from './client-auth-state.js';
import { TurnClientError } from './turn-client-error.js';

/** Most requests sent for one operation (401, then 438s). */
const MAX_ATTEMPTS = 6;
/** Requests outstanding at once: RFC 8489 §6.2 allows 10 towards one server; 8 leaves headroom. */
const MAX_IN_FLIGHT = 8;
/** Requests waiting for a slot before new ones are refused (a bound, not a target). */
const MAX_WAITING = 1024;

const FAILURE_TEXT: Record<ChallengeFailure, string> = {
  'wrong-credentials': 'wrong credentials: the server refused the user name or password',
  'bad-challenge': 'the server asked for credentials without a realm or nonce',
  'stale-nonce-loop': 'the server kept answering "stale nonce"',
  'bid-down': 'the server announced password algorithms but did not list them (possible downgrade attack)',
};

export interface TurnSessionOptions {
  readonly server: Endpoint;
  readonly policy: RetransmitPolicy;
  /** SOFTWARE sent in Allocate. */
  readonly software?: string;
}

/**
 * Authenticated TURN requests to one server over one control socket: adds the long-term
 * credential attributes, answers 401 and 438 by retrying (RFC 8489 §9.2), checks the integrity of
 * success answers, and turns error answers into TurnClientError with a plain-words message.
 */
export class TurnSession {
  readonly #stun: StunClient;
  readonly #auth: ClientAuthState;
  readonly #options: TurnSessionOptions;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(stun: StunClient, auth: ClientAuthState, options: TurnSessionOptions) {
    this.#stun = stun;
    this.#auth = auth;
    this.#options = options;
  }

  get server(): Endpoint {
    return this.#options.server;
  }

  get auth(): ClientAuthState {
    return this.#auth;
  }

  /** Sends a request until it succeeds; error answers other than 401/438 are returned, not thrown. */
  async exchange(method: number, attributes: readonly AttributeSpec[], signal?: AbortSignal): Promise<StunResponse> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const signed = this.#auth.ready;
      const extra = method === TurnMethod.Allocate && this.#options.software !== undefined ? [software(this.#options.software)] : [];
      const response = await this.#send(method, [...attributes, ...extra, ...this.#auth.requestAttributes()], signal);
      const m = response.message;
      if (m.class === 'success') {
        if (this.#auth.verify(m) === false) {
          throw new TurnClientError('ERR_TURN_PROTOCOL', 'the server signed its answer with another key (MESSAGE-INTEGRITY mismatch)');
        }
        this.#auth.succeeded();
        return response;
      }
      const code = readErrorCode(m)?.code;
      if (code !== 401 && code !== 438) return response;
      const outcome = this.#auth.onChallenge(m, signed);
      if (outcome.kind === 'fail') throw new TurnClientError('ERR_TURN_AUTH', FAILURE_TEXT[outcome.reason], code);
    }
    throw new TurnClientError('ERR_TURN_AUTH', 'authentication did not converge');
  }

  /** Like `exchange`, but an error answer is thrown as a TurnClientError. */
  async request(method: number, attributes: readonly AttributeSpec[], what: string, signal?: AbortSignal): Promise<StunResponse> {
    const response = await this.exchange(method, attributes, signal);
    if (response.message.class === 'success') return response;
    throw errorAnswer(response, what);
  }

  /** Waits for one of the MAX_IN_FLIGHT slots, so that a burst of requests queues, not fails. */
  async #acquire(): Promise<void> {
    if (this.#inFlight < MAX_IN_FLIGHT) {
      this.#inFlight++;
      return;
    }
    if (this.#waiting.length >= MAX_WAITING) throw new TurnClientError('ERR_TURN_REFUSED', 'too many TURN requests waiting');
    await new Promise<void>((resolve) => this.#waiting.push(resolve)); // the slot is handed over
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#inFlight--;
  }

  async #send(method: number, attributes: readonly AttributeSpec[], signal?: AbortSignal): Promise<StunResponse> {
    await this.#acquire();
    try {
      return await this.#stun.request(this.#options.server, {
        method,
        attributes,
        integrity: this.#auth.encodeOptions(),
        policy: this.#options.policy,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (e) {
      if (e instanceof StunTimeoutError) {
        throw new TurnClientError('ERR_TURN_TIMEOUT', `no answer from the TURN server (${e.attempts} transmission(s))`, undefined, e);
      }
      if (e instanceof StunTransactionError && e.code === 'ERR_CLIENT_CLOSED') {
        throw new TurnClientError('ERR_TURN_CLOSED', 'the connection to the TURN server closed before it answered', undefined, e);
      }
      throw e;
    } finally {
      this.#release();
    }
  }
}

/** A TurnClientError for an error answer, with the code's meaning in plain words. */
export function errorAnswer(response: StunResponse, what: string): TurnClientError {
  const e = readErrorCode(response.message);
  const status = e?.code;
  const reason = e?.reason ?? 'no ERROR-CODE';
  const text = `${what}: ${status ?? '?'} ${reason}`;
  if (status === 403) return new TurnClientError('ERR_TURN_FORBIDDEN', `forbidden: ${text}`, status);
  if (status === 441) return new TurnClientError('ERR_TURN_AUTH', `wrong credentials: ${text}`, status);
  return new TurnClientError('ERR_TURN_REFUSED', `relay refused: ${text}`, status);
}
