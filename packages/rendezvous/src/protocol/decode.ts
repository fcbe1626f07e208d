import * as v from 'valibot';
import { CLIENT_MESSAGE_TYPES, ClientMessageSchema, type ClientMessage } from './client-message.js';
import type { ErrorCode } from './error-code.js';
import { MAX_MESSAGE_BYTES } from './limits.js';
import { SERVER_MESSAGE_TYPES, ServerMessageSchema, type ServerMessage } from './server-message.js';

/** A decoded message, or why it was refused with the error code to answer. Never throws. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: Extract<ErrorCode, 'malformed' | 'unknown-type' | 'too-big'>; readonly reason: string };

type Schema = typeof ClientMessageSchema | typeof ServerMessageSchema;

/** Decodes one client → server text frame (`data` as the WebSocket delivered it). */
export function decodeClientMessage(data: string | Uint8Array, isBinary = false): DecodeResult<ClientMessage> {
  return decodeWith(ClientMessageSchema, CLIENT_MESSAGE_TYPES, data, isBinary) as DecodeResult<ClientMessage>;
}

/** Decodes one server → client text frame. */
export function decodeServerMessage(data: string | Uint8Array, isBinary = false): DecodeResult<ServerMessage> {
  return decodeWith(ServerMessageSchema, SERVER_MESSAGE_TYPES, data, isBinary) as DecodeResult<ServerMessage>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeWith(schema: Schema, types: ReadonlySet<string>, data: string | Uint8Array, isBinary: boolean): DecodeResult<unknown> {
  if (isBinary) return { ok: false, code: 'malformed', reason: 'binary frames are not part of the protocol; send JSON text' };
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
  if (size > MAX_MESSAGE_BYTES) return { ok: false, code: 'too-big', reason: `message of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit` };
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch {
    return { ok: false, code: 'malformed', reason: 'not valid UTF-8 JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, code: 'malformed', reason: 'a message is a JSON object' };
  const type = (json as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, code: 'malformed', reason: 'a message needs a string "type"' };
  if (!types.has(type)) return { ok: false, code: 'unknown-type', reason: `unknown message type ${JSON.stringify(type.slice(0, 32))}` };
  const parsed = v.safeParse(schema, json);
  if (parsed.success) return { ok: true, value: parsed.output };
  return { ok: false, code: 'malformed', reason: `${type}: ${describeIssue(parsed.issues[0])}` };
}

function describeIssue(issue: v.BaseIssue<unknown> | undefined): string {
  if (issue === undefined) return 'invalid';
  const path = v.getDotPath(issue);
  return `${path ?? '(message)'}: ${issue.message}`.slice(0, 200);
}
