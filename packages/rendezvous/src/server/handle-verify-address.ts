import { ADDRESS_TOKEN_BYTES } from '../protocol/address-token.js';
import type { VerifyAddress } from '../protocol/messages/verify-address.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/**
 * `verify-address` (v2): issues a single-use token for the family, when the server has a UDP
 * socket of it attached (attachUdpSocket); the peer's STUN Binding carrying it binds the source
 * (verify-binding.ts). One live token per session, rate-limited per peer.
 */
export function handleVerifyAddress(ctx: ServerContext, session: Session, message: VerifyAddress): void {
  const { requestId, family } = message;
  const peerId = session.peerId;
  if (session.state !== 'registered' || peerId === null) return refuse(ctx, session, 'not-registered', 'register before asking for an address token', requestId);
  if ((ctx.udpFamilies.get(family) ?? 0) === 0) return refuse(ctx, session, 'address-unverifiable', `this server has no UDP port of IPv${family} to verify an address at`, requestId);
  const now = ctx.clock.now();
  const taken = ctx.limiters.verificationsPerPeer.take(peerId, now);
  if (!taken.ok) return refuse(ctx, session, 'rate-limited', 'too many address verifications from this peer', requestId, taken.retryAfterMs);
  const token = ctx.random.next(ADDRESS_TOKEN_BYTES);
  ctx.addressTokens.issue(token, session.id, peerId, family, now);
  session.send({ type: 'address-token', requestId, family, token, expiresInMs: ctx.addressTokens.ttlMs });
}

function refuse(ctx: ServerContext, session: Session, code: 'not-registered' | 'address-unverifiable' | 'rate-limited', text: string, requestId: string, retryAfterMs?: number): void {
  ctx.counters.refuse(code);
  session.refuse(code, text, retryAfterMs === undefined ? { requestId } : { requestId, retryAfterMs });
}
