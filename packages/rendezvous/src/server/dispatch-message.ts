import { decodeClientMessage } from '../protocol/decode.js';
import { handleConnect } from './handle-connect.js';
import { handleNotifyRelay } from './handle-notify-relay.js';
import { handleRefreshRelay } from './handle-refresh-relay.js';
import { handleRegister } from './handle-register.js';
import { handleUpdate } from './handle-update.js';
import { handleVerifyAddress } from './handle-verify-address.js';
import { handleAddressProof } from './verify-binding.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';
import { takeToken } from './token-bucket.js';

/**
 * One frame from a client: counted against its message rate, decoded and validated, then
 * handled. Refusals are `error` messages; nothing a client sends can throw out of here.
 */
export function dispatchMessage(ctx: ServerContext, session: Session, data: Buffer, isBinary: boolean): void {
  if (session.state === 'closed') return;
  const now = ctx.clock.now();
  ctx.counters.messages++;
  session.lastHeardAt = now;
  const rate = takeToken(session.messageBucket, ctx.options.limits.messagesPerConnection, now);
  if (!rate.ok) {
    ctx.counters.refuse('rate-limited');
    session.refuse('rate-limited', 'too many messages on this connection', { retryAfterMs: rate.retryAfterMs });
    return;
  }
  const decoded = decodeClientMessage(data, isBinary);
  if (!decoded.ok) {
    ctx.counters.refuse(decoded.code);
    ctx.logger.trace('refused a message', { code: decoded.code, reason: decoded.reason });
    session.refuse(decoded.code, decoded.reason);
    return;
  }
  const message = decoded.value;
  switch (message.type) {
    case 'ping':
      session.send({ type: 'pong', nonce: message.nonce });
      return;
    case 'pong':
      onPong(ctx, session, message.nonce, now);
      return;
    case 'register':
      run(ctx, handleRegister(ctx, session, message));
      return;
    case 'update':
      run(ctx, handleUpdate(ctx, session, message));
      return;
    case 'connect':
      run(ctx, handleConnect(ctx, session, message));
      return;
    case 'address-proof':
      if (session.version < 2) {
        ctx.counters.refuse('unknown-type');
        session.refuse('unknown-type', 'address-proof is a natkit-rendezvous.v2 message');
        return;
      }
      handleAddressProof(ctx, session, message);
      return;
    case 'verify-address':
      if (session.version < 2) {
        ctx.counters.refuse('unknown-type');
        session.refuse('unknown-type', 'verify-address is a natkit-rendezvous.v2 message', { requestId: message.requestId });
        return;
      }
      handleVerifyAddress(ctx, session, message);
      return;
    case 'refresh-relay':
      run(ctx, handleRefreshRelay(ctx, session));
      return;
    case 'notify-relay':
      run(ctx, handleNotifyRelay(ctx, session, message));
      return;
  }
}

function onPong(ctx: ServerContext, session: Session, nonce: string, now: number): void {
  if (session.onPong(nonce, now) === null) return;
  const peerId = session.peerId;
  if (session.state === 'registered' && peerId !== null) run(ctx, ctx.store.touch(peerId, session.id, ctx.options.presenceTtlMs, now));
}

function run(ctx: ServerContext, work: Promise<unknown>): void {
  work.catch((error: unknown) => {
    ctx.logger.error('handler failed', { error: error instanceof Error ? error.message : String(error) });
  });
}
