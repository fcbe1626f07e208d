import type { NotifyRelay } from '../protocol/messages/peer-relay.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/**
 * `notify-relay`: passes the sender's registered relay candidates to peer `to` (as a
 * `peer-relay`), when `to` is registered in this process. Counted against the sender's connect
 * limit (it makes the server write to another peer); refusals are silent but for the limit.
 */
export async function handleNotifyRelay(ctx: ServerContext, session: Session, message: NotifyRelay): Promise<void> {
  const self = session.registration;
  if (session.state !== 'registered' || self === null) {
    ctx.counters.refuse('not-registered');
    session.refuse('not-registered', 'register before notifying peers');
    return;
  }
  const now = ctx.clock.now();
  const taken = ctx.limiters.connectsPerPeer.take(self.peerId, now);
  if (!taken.ok) {
    ctx.counters.refuse('rate-limited');
    session.refuse('rate-limited', 'too many notifications from this peer', { retryAfterMs: taken.retryAfterMs });
    return;
  }
  const record = await ctx.store.get(message.to, now);
  const target = record === null ? undefined : ctx.sessions.get(record.sessionId);
  const from = session.registration;
  if (target === undefined || target.state !== 'registered' || target.peerId !== message.to || from === null) return;
  target.send({ type: 'peer-relay', from: from.peerId, candidates: from.candidates.filter((c) => c.type === 'relay') });
}
