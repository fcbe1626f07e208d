import { decodeMessage, encodeMessage, StunMethod, xorMappedAddress } from '@natkit/stun';
import type { ClientContext } from '../server/client-transport.js';

/**
 * Answers a STUN Binding request that arrived on a TURN stream (RFC 8489 §6.2.2: STUN over TCP),
 * with XOR-MAPPED-ADDRESS and FINGERPRINT. Anything else is ignored. Returns true when it answered.
 */
export function answerStreamBinding(bytes: Uint8Array, ctx: ClientContext): boolean {
  const r = decodeMessage(bytes);
  if (!r.ok || r.value.class !== 'request' || r.value.method !== StunMethod.Binding || r.value.isRfc3489) return false;
  ctx.reply(
    encodeMessage(
      { method: StunMethod.Binding, class: 'success', transactionId: r.value.transactionId, attributes: [xorMappedAddress(ctx.client)] },
      { fingerprint: true },
    ),
  );
  return true;
}
