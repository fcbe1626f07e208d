import { CloseCode } from '../protocol/close-code.js';
import type { ServerContext } from './server-context.js';

/** Expired entries one tick removes from the store at most (the rest wait for the next tick). */
const SWEEP_LIMIT = 10_000;

/**
 * One tick over every session: closes those past their registration deadline or silent for 2.5
 * heartbeats, pings those due, and sweeps expired store entries. Registration deadlines and pings
 * are as precise as the tick (default 1 s).
 */
export function runHeartbeat(ctx: ServerContext): void {
  const now = ctx.clock.now();
  const { registerWithinMs, heartbeatMs } = ctx.options;
  for (const session of ctx.sessions.values()) {
    if (session.state === 'awaiting-register' && now - session.openedAt > registerWithinMs) {
      ctx.counters.close('registration-timeout');
      session.refuse('registration-timeout', `no valid register within ${registerWithinMs} ms`, {}, CloseCode.RegistrationTimeout);
      continue;
    }
    if (now - session.lastHeardAt > heartbeatMs * 2.5) {
      ctx.counters.close('heartbeat-timeout');
      session.transport.terminate();
      continue;
    }
    session.expirePings(now, heartbeatMs * 2);
    if (now >= session.nextPingAt) {
      session.nextPingAt = now + heartbeatMs;
      void session.ping(ctx.clock, null);
    }
  }
  ctx.addressTokens.sweep(now, SWEEP_LIMIT);
  ctx.store.sweep(now, SWEEP_LIMIT).catch((error: unknown) => {
    ctx.logger.warn('presence sweep failed', { error: error instanceof Error ? error.message : String(error) });
  });
}
