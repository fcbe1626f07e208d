import { normalizeAddress } from '@natkit/net';
import { transactionKey, type AttributeSpec, type StunMessage } from '@natkit/stun';
import type { UdpSocket } from '@natkit/net';
import type { Authenticated } from '../auth/authenticate.js';
import type { Allocation } from '../allocation/allocation.js';
import { fiveTupleKey } from '../allocation/five-tuple.js';
import type { ClientContext } from './client-transport.js';
import { encodeError, encodeResponse } from './responses.js';
import type { TurnCore } from './turn-core.js';

/** One authenticated request being answered: what every method handler needs. */
export class RequestScope {
  readonly tupleKey: string;
  readonly cacheKey: string;

  constructor(
    readonly core: TurnCore,
    readonly m: StunMessage,
    readonly ctx: ClientContext,
    readonly auth: Authenticated,
    readonly now: number,
  ) {
    this.tupleKey = tupleKeyOf(ctx);
    this.cacheKey = cacheKeyOf(this.tupleKey, m);
  }

  /** Sends a signed success response (with SOFTWARE) and caches it for retransmissions. */
  success(attributes: readonly AttributeSpec[]): void {
    const software = this.core.settings.software;
    this.send(encodeResponse(this.m, 'success', software === undefined ? attributes : [...attributes, software], this.auth), 'success');
    // The fast path's routes follow what the request changed (after the answer: it leaves first).
    const a = this.core.table.get(this.tupleKey);
    if (a !== undefined) this.core.offload.sync(a);
  }

  /** Sends a signed error response and caches it. */
  error(code: number, extra?: readonly AttributeSpec[], unknown?: readonly number[]): void {
    this.send(encodeError(this.m, code, this.auth, extra, unknown), code);
  }

  /**
   * The allocation of this 5-tuple, answering 437 when there is none and 441 when it belongs
   * to another user (RFC 8656 §5, §7.2). Undefined after such an answer.
   */
  allocation(): Allocation<UdpSocket> | undefined {
    const a = this.core.table.get(this.tupleKey);
    if (a === undefined || a.isExpired(this.now)) {
      this.error(437);
      return undefined;
    }
    if (a.username !== this.auth.username) {
      this.error(441);
      return undefined;
    }
    return a;
  }

  private send(bytes: Uint8Array, code: number | 'success'): void {
    this.core.counters.response(code);
    this.core.responses.set(this.cacheKey, bytes, this.now);
    this.ctx.reply(bytes);
  }
}

/** The allocation key of a client context. */
export function tupleKeyOf(ctx: ClientContext): string {
  return fiveTupleKey({
    transport: ctx.transport,
    client: ctx.client,
    local: ctx.local,
    ...(ctx.connectionId === undefined ? {} : { connectionId: ctx.connectionId }),
  });
}

/** The retransmission cache key of a request on a 5-tuple. */
export function cacheKeyOf(tupleKey: string, m: StunMessage): string {
  return `${tupleKey}|${transactionKey(m.transactionId)}`;
}

/** The nonce scope of a client: its IP and transport (a nonce is not valid from elsewhere). */
export function nonceScope(ctx: ClientContext): string {
  return `${ctx.transport}|${normalizeAddress(ctx.client.address)}`;
}
