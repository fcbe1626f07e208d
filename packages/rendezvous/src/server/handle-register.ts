import { CloseCode } from '../protocol/close-code.js';
import type { Register } from '../protocol/messages/register.js';
import * as v from 'valibot';
import { RelayCredentialsSchema, type RelayCredentials } from '../protocol/messages/registered.js';
import { registerSigningPayload } from '../protocol/register-payload.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/**
 * `register`: the challenge must be this connection's live one (a replay from another
 * connection, or a second attempt, is `stale-challenge`), the signature must verify with the key
 * the peer id names; then the peer id is this session's, and an older session holding it is told
 * `superseded` and closed. Each attempt past the challenge check uses the challenge up.
 */
export async function handleRegister(ctx: ServerContext, session: Session, message: Register): Promise<void> {
  if (session.state !== 'awaiting-register' || session.challenge === null || message.challenge !== session.challenge) {
    return refuse(ctx, session, 'stale-challenge', 'the challenge is not the live one of this connection (replayed or already used); reconnect for a new one');
  }
  const now = ctx.clock.now();
  const perIp = ctx.limiters.registrationsPerIp.take(session.ipKey, now);
  if (!perIp.ok) return refuse(ctx, session, 'rate-limited', 'too many registrations from this address', perIp.retryAfterMs);
  session.challenge = null;
  const payload = registerSigningPayload(message.challenge);
  const verdict = payload === null ? 'bad-signature' : ctx.verify(message.peerId, payload, Buffer.from(message.signature, 'base64url'));
  if (verdict === 'invalid-peer-id') return refuse(ctx, session, 'invalid-peer-id', 'the peer id is not a valid peer id');
  if (verdict !== 'ok') return refuse(ctx, session, 'bad-signature', 'the signature does not verify with the key of this peer id');
  const perPeer = ctx.limiters.registrationsPerPeer.take(message.peerId, now);
  if (!perPeer.ok) return refuse(ctx, session, 'rate-limited', 'this peer id registered too often', perPeer.retryAfterMs);

  session.state = 'registering';
  const record = { peerId: message.peerId, sessionId: session.id, observed: session.observed, nat: message.nat, candidates: message.candidates };
  const previous = await ctx.store.put(record, ctx.options.presenceTtlMs, now);
  if (session.state !== 'registering') {
    await ctx.store.remove(message.peerId, session.id);
    return;
  }
  session.state = 'registered';
  session.registration = { peerId: message.peerId, nat: message.nat, candidates: message.candidates };
  if (previous !== null && previous.sessionId !== session.id) {
    ctx.counters.close('superseded');
    const older = ctx.sessions.get(previous.sessionId);
    older?.refuse('superseded', 'a newer session registered this peer id', {}, CloseCode.Superseded);
    older?.dispose(); // serves nothing more while its close handshake runs
  }
  const relay = await mintRelay(ctx, message.peerId);
  ctx.counters.registrations++;
  session.send({ type: 'registered', peerId: message.peerId, observed: session.observed, relay, presenceTtlMs: ctx.options.presenceTtlMs });
  // The first RTT sample, so that an introduction never waits on a session never measured.
  void session.ping(ctx.clock, null);
}

function refuse(ctx: ServerContext, session: Session, code: 'stale-challenge' | 'rate-limited' | 'invalid-peer-id' | 'bad-signature', text: string, retryAfterMs?: number): void {
  ctx.counters.refuse(code);
  session.refuse(code, text, retryAfterMs === undefined ? {} : { retryAfterMs });
}

/** Fresh credentials for the server's relay, checked like every message; null without a relay or when minting failed. */
export async function mintRelay(ctx: ServerContext, peerId: string): Promise<RelayCredentials | null> {
  if (ctx.mintRelayCredentials === null) return null;
  try {
    const minted = await ctx.mintRelayCredentials(peerId);
    // Only the fields of the protocol go out, checked like every message (clients refuse extras).
    const relay = v.safeParse(RelayCredentialsSchema, { username: minted.username, password: minted.password, ttl: Math.floor(minted.ttl), urls: minted.urls });
    if (relay.success) return relay.output;
    ctx.logger.warn('minted relay credentials do not fit the protocol', { issue: relay.issues[0].message });
  } catch (error) {
    ctx.logger.warn('relay credentials could not be minted', { error: error instanceof Error ? error.message : String(error) });
  }
  return null;
}
