import * as v from 'valibot';
import { PeerIdField, RequestIdField } from '../fields.js';

/**
 * client → server, registered sessions only: asks for an introduction to peer `to`. The answer is
 * an `introduce` (to both sides) or an `error`, each carrying `requestId`. Sending it again with
 * the same id is a new attempt with fresh RTTs (DCUtR retries).
 */
export const ConnectSchema = v.strictObject({
  type: v.literal('connect'),
  requestId: RequestIdField,
  to: PeerIdField,
});

export type Connect = v.InferOutput<typeof ConnectSchema>;
