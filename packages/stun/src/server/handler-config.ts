import { AttributeType } from '../proto/constants.js';
import { software as softwareAttribute } from '../proto/text-attributes.js';
import type { AttributeSpec } from '../proto/attribute.js';
import type { BindingResponder } from './binding-response.js';
import type { HandlerConfig } from './handle-binding-request.js';
import type { ServerMode } from './socket-plan.js';

/** Default cap on echoed PADDING: enough to force fragmentation on any common MTU (RFC 5780 §7.6). */
export const DEFAULT_MAX_PADDING = 4096;
/** Hard upper bound of `maxPadding`: the response with its other attributes stays a valid datagram. */
export const MAX_PADDING_LIMIT = 16_384;
/** Attributes a request may carry before it is dropped as malformed (a Binding request needs few). */
const MAX_REQUEST_ATTRIBUTES = 32;

// Comprehension-required types a request may carry: everything in the registry we parse, and
// ICE's PRIORITY / USE-CANDIDATE (RFC 8445 §16.1), which clients reuse on servers. Credentials
// (USERNAME, MESSAGE-INTEGRITY...) are understood and ignored: this server does no auth.
const KNOWN: readonly number[] = [
  ...Object.values(AttributeType).filter((t) => t < 0x8000),
  0x0024, // PRIORITY, RFC 8445 §16.1
  0x0025, // USE-CANDIDATE, RFC 8445 §16.1
];

/** `maxPadding` as asked, within 0..MAX_PADDING_LIMIT. */
export function clampPadding(maxPadding: number | undefined): number {
  return Math.min(MAX_PADDING_LIMIT, Math.max(0, Math.floor(maxPadding ?? DEFAULT_MAX_PADDING)));
}

/** The SOFTWARE attribute for `text`, and its raw value for the response templates. */
export function softwareOf(text: string | undefined): { attribute: AttributeSpec | undefined; value: Uint8Array | undefined } {
  const attribute = text === undefined ? undefined : softwareAttribute(text);
  return { attribute, value: attribute?.value instanceof Uint8Array ? attribute.value : undefined };
}

/** What the pure request handler needs, for a server of `mode` with these responders. */
export function createHandlerConfig(
  mode: ServerMode,
  responders: readonly (readonly BindingResponder[])[],
  maxPadding: number,
  software: AttributeSpec | undefined,
): HandlerConfig {
  const known = new Set(KNOWN);
  // RFC 5780 §6: with one socket CHANGE-REQUEST is not understood, and gets 420.
  if (mode === 'single') known.delete(AttributeType.ChangeRequest);
  return { mode, responders, known, maxPadding, software, maxAttributes: MAX_REQUEST_ATTRIBUTES };
}
