/**
 * @packageDocumentation
 * UDP hole punching: a pure planner that picks the strategy for a pair of NAT profiles
 * (simultaneous open, port prediction, birthday paradox, same NAT, or relay with the reason),
 * the birthday arithmetic it sizes attempts with, and an engine that runs a plan over the
 * `Network` interface with authenticated probes.
 *
 * @example
 * ```ts
 * import { createHmacAuthenticator, planPunch, startPunch, type PeerDescription } from '@natkit/punch';
 * import { createNodeNetwork, type UdpSocket } from '@natkit/net';
 * declare const me: PeerDescription, peer: PeerDescription, socket: UdpSocket, token: Uint8Array;
 * const plan = planPunch(me, peer);
 * const attempt = startPunch(
 *   { plan, socket, fireAt: performance.now() + 100, role: 'controlling', authenticator: createHmacAuthenticator(token) },
 *   { network: createNodeNetwork() },
 * );
 * const result = await attempt.result; // meanwhile, use the relay
 * if (result.ok) console.log('direct to', result.remote, 'by', result.strategy);
 * else console.log('relay:', result.reason, result.detail);
 * ```
 */
export type { Candidate, NatProfile, PeerDescription, PunchLimits, PunchPlan, PunchStrategy, SendPlan } from './plan/types.js';
export { planPunch, type PlanPunchOptions } from './plan/plan-punch.js';
export { classifySide, type SideKind } from './plan/classify-side.js';
export { DEFAULT_PUNCH_LIMITS, PUNCH_LIMIT_CEILINGS, resolveLimits } from './plan/limits.js';
export { birthdayApproximation, birthdayProbesFor, birthdaySuccessProbability, doubleRandomProbability } from './plan/birthday.js';
export { profileFromReport } from './plan/profile-from-report.js';
export { scheduledCount } from './plan/send-plans.js';
export { decodePunchBody, encodePunchBody, isPunchDatagram, PUNCH_MAGIC, type PunchMessage, type PunchMessageType, type DecodeResult } from './wire/punch-message.js';
export { createHmacAuthenticator, HMAC_TAG_LENGTH, type ProbeAuthenticator } from './wire/authenticator.js';
export { expandSchedule, type ScheduledSend } from './engine/send-schedule.js';
export { startPunch, type PunchAttempt, type PunchComponents, type PunchOptions } from './engine/start-punch.js';
export {
  DEFAULT_SERIES_ATTEMPTS,
  isRepeatable,
  MAX_SERIES_ATTEMPTS,
  SERIES_GAP_MS,
  seriesDurationMs,
  seriesSuccessProbability,
  startPunchSeries,
  type PunchSeries,
  type PunchSeriesOptions,
  type PunchSeriesResult,
} from './engine/punch-series.js';
export type { PunchFailure, PunchFailureReason, PunchResult, PunchStats, PunchSuccess } from './engine/punch-result.js';
export { PunchError, type PunchErrorCode } from './errors.js';
