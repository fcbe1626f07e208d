import { encodeIntroduce, encodePeerInfo } from '../protocol/encode.js';
import type { Connect } from '../protocol/messages/connect.js';
import type { PeerInfo } from '../protocol/messages/introduce.js';
import type { WireEndpoint } from '../protocol/fields.js';
import { planFireTimes } from '../schedule/plan-fire-times.js';
import type { PeerRecord } from './presence-store.js';
import type { ServerContext } from './server-context.js';
import type { Session } from './session.js';

/**
 * `connect`: finds the target, measures the RTT to both sides at once (DCUtR re-measures on
 * every attempt; a sample younger than `rttMaxAgeMs` is reused), then sends each side the other's candidates and NAT profile in one
 * `introduce`, with fire delays that make both punches leave together.
 */
export async function handleConnect(ctx: ServerContext, session: Session, message: Connect): Promise<void> {
  const { requestId } = message;
  const self = session.registration;
  if (session.state !== 'registered' || self === null) return refuse(ctx, session, 'not-registered', 'register before asking for a connection', requestId);
  if (message.to === self.peerId) return refuse(ctx, session, 'self-connect', 'a peer cannot connect to itself', requestId);
  const now = ctx.clock.now();
  for (const [limiter, key, what] of [
    [ctx.limiters.connectsPerPeer, self.peerId, 'this peer'],
    [ctx.limiters.connectsPerIp, session.ipKey, 'this address'],
  ] as const) {
    const taken = limiter.take(key, now);
    if (!taken.ok) return refuse(ctx, session, 'rate-limited', `too many connect requests from ${what}`, requestId, taken.retryAfterMs);
  }
  const record = await ctx.store.get(message.to, now);
  const target = record === null ? undefined : ctx.sessions.get(record.sessionId);
  if (record === null || target === undefined || target.state !== 'registered') {
    return refuse(ctx, session, 'unknown-peer', `no registered peer ${message.to}`, requestId);
  }
  const { rttProbeTimeoutMs: timeout, rttMaxAgeMs } = ctx.options;
  const [initiatorRtt, responderRtt] = await Promise.all([session.measureRtt(ctx.clock, timeout, rttMaxAgeMs), target.measureRtt(ctx.clock, timeout, rttMaxAgeMs)]);
  if (session.state !== 'registered') return;
  if (responderRtt === null || target.state !== 'registered' || target.peerId !== message.to) {
    return refuse(ctx, session, 'peer-unresponsive', `peer ${message.to} did not answer in ${timeout} ms`, requestId);
  }
  introduce(ctx, session, target, record, requestId, initiatorRtt ?? session.rtt?.smoothedMs ?? responderRtt, responderRtt);
}

function introduce(ctx: ServerContext, initiator: Session, responder: Session, record: PeerRecord, requestId: string, initiatorRttMs: number, responderRttMs: number): void {
  const self = initiator.registration;
  if (self === null || responder.registration === null) return;
  const plan = planFireTimes({ initiatorRttMs, responderRttMs, marginMs: ctx.options.fireMarginMs });
  const connectionId = ctx.random.next(32);
  const initiatorInfo = encodedPeer(ctx, self, responder.version, () => ({ peerId: self.peerId, observed: initiator.observed, nat: self.nat, candidates: [...self.candidates], ...verifiedOf(self) }));
  const responderInfo = encodedPeer(ctx, record, initiator.version, () => ({ peerId: record.peerId, observed: record.observed, nat: record.nat, candidates: [...record.candidates], ...verifiedOf(record) }));
  const [a, b] = [Math.round(initiatorRttMs), Math.round(responderRttMs)];
  initiator.sendText(encodeIntroduce({ requestId, connectionId, role: 'initiator', fireInMs: plan.initiatorFireInMs, rttMs: a, peerRttMs: b }, responderInfo));
  responder.sendText(encodeIntroduce({ requestId, connectionId, role: 'responder', fireInMs: plan.responderFireInMs, rttMs: b, peerRttMs: a }, initiatorInfo));
  ctx.counters.introductions++;
}

/**
 * A peer's encoded PeerInfo, made once per registration (or update) and reused; a v1 recipient
 * gets it without the v2 field `verified`.
 */
function encodedPeer(ctx: ServerContext, key: object, recipientVersion: number, info: () => PeerInfo): string {
  const cache = recipientVersion >= 2 ? ctx.encodedPeers : ctx.encodedPeersV1;
  let text = cache.get(key);
  if (text === undefined) {
    const full = info();
    text = encodePeerInfo(recipientVersion >= 2 ? full : { peerId: full.peerId, observed: full.observed, nat: full.nat, candidates: full.candidates });
    cache.set(key, text);
  }
  return text;
}

function verifiedOf(r: { readonly verified?: readonly WireEndpoint[] }): Pick<PeerInfo, 'verified'> {
  return r.verified === undefined || r.verified.length === 0 ? {} : { verified: [...r.verified] };
}

function refuse(ctx: ServerContext, session: Session, code: 'not-registered' | 'self-connect' | 'rate-limited' | 'unknown-peer' | 'peer-unresponsive', text: string, requestId: string, retryAfterMs?: number): void {
  ctx.counters.refuse(code);
  session.refuse(code, text, retryAfterMs === undefined ? { requestId } : { requestId, retryAfterMs });
}
