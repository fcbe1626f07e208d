import { familyOf, type Endpoint, type Family, type UdpSocket } from '@natkit/net';
import { createTransactionId, decodeMessage, encodeMessage, StunMethod } from '@natkit/stun';
import { ADDRESS_PROOF_ATTRIBUTE, ADDRESS_TOKEN_BYTES, readAddressToken } from '../protocol/address-token.js';
import type { WireEndpoint } from '../protocol/fields.js';
import type { AddressProof } from '../protocol/messages/verify-address.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/** RFC 8489 §5: a Binding request's message type is 0x0001. */
const BINDING_REQUEST_TYPE = 0x0001;

/**
 * One datagram that reached a UDP socket of the server (`family`): when it is a STUN Binding
 * request carrying an ADDRESS-TOKEN this server issued to that peer for this family, unexpired
 * and unused, the server sends a Binding indication with a fresh ADDRESS-PROOF to its source;
 * the source becomes the peer's verified address when the peer returns that proof over its
 * WebSocket (handleAddressProof). Anything else is ignored (the STUN server answers the Binding
 * itself). Never throws.
 */
export function verifyBinding(ctx: ServerContext, socket: UdpSocket, datagram: Uint8Array, from: Endpoint, family: Family): void {
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
  // Return routability: the proof goes to the source; the address is bound when it comes back.
  const proof = ctx.random.next(ADDRESS_TOKEN_BYTES);
  ctx.addressTokens.pend(session.id, family, { address: from.address, port: from.port }, proof, now);
  const indication = encodeMessage(
    { method: StunMethod.Binding, class: 'indication', transactionId: createTransactionId(), attributes: [{ type: ADDRESS_PROOF_ATTRIBUTE, value: new Uint8Array(Buffer.from(proof, 'base64url')) }] },
    { fingerprint: true },
  );
  socket.send(indication, from);
}

/**
 * `address-proof` (v2): the session returned the proof sent to the address its token came from;
 * that address becomes the peer's verified address of the family (`address-verified` to it,
 * `introduce.peer.verified` to others). A wrong, late or unexpected proof binds nothing.
 */
export function handleAddressProof(ctx: ServerContext, session: Session, message: AddressProof): void {
  const registration = session.registration;
  if (session.state !== 'registered' || registration === null) return refuse(ctx, 'no-session', null);
  const now = ctx.clock.now();
  const check = ctx.addressTokens.confirm(session.id, new Uint8Array(Buffer.from(message.proof, 'base64url')), message.family, now);
  if (!check.ok) return refuse(ctx, check.reason, null);
  const family = message.family;
  const observed: WireEndpoint = { address: check.observed.address, port: check.observed.port };
  const verified = [...(registration.verified ?? []).filter((e) => familyOf(e.address) !== family), observed];
  session.registration = { ...registration, verified };
  ctx.counters.addressesVerified++;
  session.send({ type: 'address-verified', family, observed });
  ctx.store.update(registration.peerId, session.id, { nat: registration.nat, candidates: registration.candidates, verified }, now).catch((error: unknown) => {
    ctx.logger.warn('presence update failed', { error: error instanceof Error ? error.message : String(error) });
  });
}

function refuse(ctx: ServerContext, reason: string, from: Endpoint | null): void {
  ctx.counters.tokensRefused.set(reason, (ctx.counters.tokensRefused.get(reason) ?? 0) + 1);
  ctx.logger.debug('address token refused', { reason, from: from === null ? 'websocket' : `${from.address}:${from.port}` });
}
