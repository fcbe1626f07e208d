import { normalizeAddress } from '@natkit/net';
import type { Update } from '../protocol/messages/update.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/**
 * `update`: a registered peer's new NAT profile and candidates (after a network change). Its
 * verified addresses (v2) are kept while a candidate still has their IP.
 */
export async function handleUpdate(ctx: ServerContext, session: Session, message: Update): Promise<void> {
  const registration = session.registration;
  if (session.state !== 'registered' || registration === null) {
    ctx.counters.refuse('not-registered');
    session.refuse('not-registered', 'register before sending updates');
    return;
  }
  // A verified address stays bound while the peer still announces a candidate at its IP.
  const verified = (registration.verified ?? []).filter((e) => message.candidates.some((c) => normalizeAddress(c.address) === normalizeAddress(e.address)));
  session.registration = { peerId: registration.peerId, nat: message.nat, candidates: message.candidates, verified };
  await ctx.store.update(registration.peerId, session.id, { nat: message.nat, candidates: message.candidates, verified }, ctx.clock.now());
}
