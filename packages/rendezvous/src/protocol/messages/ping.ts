import * as v from 'valibot';
import { NonceField } from '../fields.js';

/**
 * Either direction. The server pings every `heartbeatMs`, and before each introduction to time
 * the punch (its RTT to each side); the client answers `pong` with the same nonce at once. A
 * pong keeps the registration present. The client may ping the server the same way.
 */
export const PingSchema = v.strictObject({ type: v.literal('ping'), nonce: NonceField });
export const PongSchema = v.strictObject({ type: v.literal('pong'), nonce: NonceField });

export type Ping = v.InferOutput<typeof PingSchema>;
export type Pong = v.InferOutput<typeof PongSchema>;
