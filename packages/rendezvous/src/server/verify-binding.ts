import { familyOf, type Endpoint, type Family } from '@natkit/net';
import { decodeMessage, StunMethod } from '@natkit/stun';
import { readAddressToken } from '../protocol/address-token.js';
import type { WireEndpoint } from '../protocol/fields.js';
import type { ServerContext } from './server-context.js';

/** RFC 8489 §5: a Binding request's message type is 0x0001. */
const BINDING_REQUEST_TYPE = 0x0001;

/**
 * One datagram that reached a UDP socket of the server (`family`): when it is a STUN Binding
 * request carrying an ADDRESS-TOKEN this server issued to that peer for this family, unexpired
 * and unused, its source becomes the peer's verified address of the family; the peer is told
 * (`address-verified`) and later introductions carry it. Anything else is ignored (the STUN
 * server answers the Binding itself). Never throws.
 */
export function verifyBinding(ctx: ServerContext, datagram: Uint8Array, from: Endpoint, family: Family): void {
  if (datagram.length < 20 || ((datagram[0] ?? 0xff) << 8 | (datagram[1] ?? 0xff)) !== BINDING_REQUEST_TYPE) return;
  const decoded = decodeMessage(datagram);
  if (!decoded.ok || decoded.value.method !== StunMethod.Binding || decoded.value.class !== 'request') return;
  const presented = readAddressToken(decoded.value);
  if (presented === undefined || familyOf(from.address) !== family) return;
  const now = ctx.clock.now();
  const check = ctx.addressTokens.redeem(presented.token, presented.peerId, family, now);
  if (!check.ok) return refuse(ctx, check.reason, from);
  const session = ctx.sessions.get(check.sessionId);
  const registration = session?.registration ?? null;
  if (session === undefined || session.state !== 'registered' || registration === null || registration.peerId !== presented.peerId) return refuse(ctx, 'no-session', from);
  const observed: WireEndpoint = { address: from.address, port: from.port };
  const verified = [...(registration.verified ?? []).filter((e) => familyOf(e.address) !== family), observed];
  session.registration = { ...registration, verified };
  ctx.counters.addressesVerified++;
  session.send({ type: 'address-verified', family, observed });
  ctx.store.update(registration.peerId, session.id, { nat: registration.nat, candidates: registration.candidates, verified }, now).catch((error: unknown) => {
    ctx.logger.warn('presence update failed', { error: error instanceof Error ? error.message : String(error) });
  });
}

function refuse(ctx: ServerContext, reason: string, from: Endpoint): void {
  ctx.counters.tokensRefused.set(reason, (ctx.counters.tokensRefused.get(reason) ?? 0) + 1);
  ctx.logger.debug('address token refused', { reason, from: `${from.address}:${from.port}` });
}
