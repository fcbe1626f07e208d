import { normalizeAddress } from '@natkit/net';
import {
  AttributeType,
  decodeMessage,
  unknownComprehensionRequired,
  verifyFingerprint,
  type StunMessage,
} from '@natkit/stun';
import { TurnAttributeType, TurnMethod } from '../proto/constants.js';
import type { ClientContext } from './client-transport.js';
import { handleAllocateRequest } from './handle-allocate.js';
import { handleChannelBindRequest } from './handle-channel-bind.js';
import { handleCreatePermissionRequest } from './handle-create-permission.js';
import { handleRefreshRequest } from './handle-refresh.js';
import { handleChannelDataFromClient, handleSendIndication } from './relay-data.js';
import { encodeError } from './responses.js';
import { cacheKeyOf, nonceScope, RequestScope, tupleKeyOf } from './request-scope.js';
import type { TurnCore } from './turn-core.js';

/** Attributes a TURN request may carry and a request may require us to understand. */
const KNOWN = new Set<number>([
  ...Object.values(AttributeType).filter((t) => t < 0x8000),
  ...Object.values(TurnAttributeType).filter((t) => t < 0x8000 && t !== TurnAttributeType.ConnectionId),
]);
/** Most attributes in one TURN message (a CreatePermission may list many peers). */
const MAX_ATTRIBUTES = 48;
const TURN_METHODS = new Set<number>(Object.values(TurnMethod));
/** RFC 6062 methods: TCP allocations are not offered, so these get 400. */
const UNSUPPORTED_METHODS = new Set<number>([TurnMethod.Connect, TurnMethod.ConnectionBind]);

/**
 * The server's entry for every client message (see client-transport.ts). Returns false for
 * what is not TURN's (Binding requests and non-STUN bytes), true otherwise. Never throws.
 */
export function handleClientData(core: TurnCore, bytes: Uint8Array, ctx: ClientContext): boolean {
  const first = bytes[0];
  if (first === undefined) return false;
  if ((first & 0xc0) === 0x40) {
    handleChannelDataFromClient(core, bytes, ctx);
    return true;
  }
  if ((first & 0xc0) !== 0 || bytes.length < 20) return false;
  if (first === 0 && bytes[1] === 0x01) return false; // a Binding request: the STUN server's
  const r = decodeMessage(bytes, { maxAttributes: MAX_ATTRIBUTES });
  if (!r.ok || r.value.isRfc3489 || !TURN_METHODS.has(r.value.method)) return false;
  const m = r.value;
  if (verifyFingerprint(m) === false) {
    core.counters.drop('bad-fingerprint');
    return true;
  }
  if (m.class === 'indication' && m.method === TurnMethod.Send) handleSendIndication(core, m, ctx);
  else if (m.class === 'request') handleRequest(core, m, ctx);
  else core.counters.drop('not-a-request');
  return true;
}

function handleRequest(core: TurnCore, m: StunMessage, ctx: ClientContext): void {
  core.counters.requests++;
  const now = core.clock.now();
  const cached = core.responses.get(cacheKeyOf(tupleKeyOf(ctx), m), now);
  if (cached !== undefined) return ctx.reply(cached); // RFC 8489 §6.3.1: a retransmission
  const auth = core.auth.authenticate(m, nonceScope(ctx), now);
  if (auth.kind === 'refuse') {
    // Unauthenticated replies are rate-limited per source IP (reflection, relay.md §3 #9).
    if (!core.limiter.take(normalizeAddress(ctx.client.address), now)) return core.counters.drop('rate-limited');
    core.counters.response(auth.code);
    core.logger.trace('refused', { code: auth.code, why: auth.why });
    return ctx.reply(encodeError(m, auth.code, undefined, auth.attributes));
  }
  if (auth.sha256) core.counters.integritySha256++;
  if (auth.userhash) core.counters.userhash++;
  const scope = new RequestScope(core, m, ctx, auth, now);
  const unknown = unknownComprehensionRequired(m, KNOWN);
  if (unknown.length > 0) return scope.error(420, [], unknown);
  if (UNSUPPORTED_METHODS.has(m.method)) return scope.error(400);
  switch (m.method) {
    case TurnMethod.Allocate:
      return handleAllocateRequest(scope);
    case TurnMethod.Refresh:
      return handleRefreshRequest(scope);
    case TurnMethod.CreatePermission:
      return handleCreatePermissionRequest(scope);
    case TurnMethod.ChannelBind:
      return handleChannelBindRequest(scope);
    default:
      return scope.error(400);
  }
}
