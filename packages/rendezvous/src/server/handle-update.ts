import type { Update } from '../protocol/messages/update.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/** `update`: a registered peer's new NAT profile and candidates (after a network change). */
export async function handleUpdate(ctx: ServerContext, session: Session, message: Update): Promise<void> {
  const registration = session.registration;
  if (session.state !== 'registered' || registration === null) {
    ctx.counters.refuse('not-registered');
    session.refuse('not-registered', 'register before sending updates');
    return;
  }
  session.registration = { peerId: registration.peerId, nat: message.nat, candidates: message.candidates };
  await ctx.store.update(registration.peerId, session.id, { nat: message.nat, candidates: message.candidates }, ctx.clock.now());
}
