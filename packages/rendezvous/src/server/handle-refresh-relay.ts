import { mintRelay } from './handle-register.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/** `refresh-relay`: fresh credentials for the server's relay, for a registered peer (theirs expire). */
export async function handleRefreshRelay(ctx: ServerContext, session: Session): Promise<void> {
  const registration = session.registration;
  if (session.state !== 'registered' || registration === null) {
    ctx.counters.refuse('not-registered');
    session.refuse('not-registered', 'register before asking for relay credentials');
    return;
  }
  const relay = await mintRelay(ctx, registration.peerId);
  if (session.state === 'registered') session.send({ type: 'relay-credentials', relay });
}
