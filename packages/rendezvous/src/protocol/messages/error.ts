import * as v from 'valibot';
import { ERROR_CODES } from '../error-code.js';
import { DurationMsField, RequestIdField, TextField } from '../fields.js';

/** server → client: a refusal with a stable `code` (error-code.ts) and a human message. */
export const ErrorSchema = v.strictObject({
  type: v.literal('error'),
  code: v.picklist(ERROR_CODES),
  message: TextField,
  /** The request this answers, when it answers one. */
  requestId: v.exactOptional(RequestIdField),
  /** For `rate-limited`: when a retry may succeed. */
  retryAfterMs: v.exactOptional(DurationMsField),
  /** For `unsupported-version`: the versions the server speaks. */
  supported: v.exactOptional(v.pipe(v.array(v.pipe(v.number(), v.integer())), v.maxLength(16))),
});

export type ErrorMessage = v.InferOutput<typeof ErrorSchema>;
