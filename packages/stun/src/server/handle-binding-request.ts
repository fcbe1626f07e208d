import type { Endpoint } from '@natkit/net';
import { getAttribute, unknownComprehensionRequired, type AttributeSpec } from '../proto/attribute.js';
import { decodeChangeRequest, type ChangeRequest } from '../proto/change-request.js';
import { AttributeType, HEADER_LENGTH, MAGIC_COOKIE } from '../proto/constants.js';
import { decodeMessage, readUint16, readUint32 } from '../proto/decode-message.js';
import { encodeMessage } from '../proto/encode-message.js';
import { ErrorCodes, errorCode, legacyErrorCode } from '../proto/error-code.js';
import { verifyFingerprint } from '../proto/fingerprint.js';
import type { StunMessage } from '../proto/message.js';
import { classOf, encodeMessageType, methodOf } from '../proto/message-type.js';
import { decodeResponsePort } from '../proto/response-port.js';
import { legacyUnknownAttributes, unknownAttributes } from '../proto/unknown-attributes.js';
import type { BindingResponder } from './binding-response.js';
import type { ServerMode } from './socket-plan.js';

/** Why a datagram got no answer. */
export type ServerDropReason =
  | 'not-stun' // too short, leading bits set, or a length field that does not fit
  | 'malformed' // a STUN header but attributes that do not parse
  | 'indication' // RFC 8489 §6.3.2: indications get no response
  | 'response' // success or error responses: we sent no requests
  | 'unsupported-method' // not Binding
  | 'bad-fingerprint' // RFC 8489 §14.7: a wrong FINGERPRINT means "not STUN"
  | 'bad-address'; // the source address is not an IP literal of the socket's family

export type Outcome =
  | { readonly kind: 'respond'; readonly via: number; readonly to: Endpoint; readonly bytes: Uint8Array; readonly errorCode?: number }
  | { readonly kind: 'drop'; readonly reason: ServerDropReason; readonly detail?: string };

export interface HandlerConfig {
  readonly mode: ServerMode;
  /**
   * By receiving then sending socket role index (ip * 2 + port): OTHER-ADDRESS depends on the
   * socket the request came to, RESPONSE-ORIGIN on the one the response leaves from.
   */
  readonly responders: readonly (readonly BindingResponder[])[];
  /** Comprehension-required types we accept in a request. */
  readonly known: ReadonlySet<number>;
  readonly maxPadding: number;
  readonly software: AttributeSpec | undefined;
  readonly maxAttributes: number;
}

const BINDING_REQUEST = encodeMessageType(0x001, 'request'); // RFC 8489 §18.2

/**
 * Decides what to do with a datagram received on socket `receivedOn`. Pure apart from the
 * response bytes it allocates; never throws on hostile input.
 */
export function handleBindingRequest(cfg: HandlerConfig, data: Uint8Array, from: Endpoint, receivedOn: number): Outcome {
  if (data.length < HEADER_LENGTH || ((data[0] ?? 0xff) & 0xc0) !== 0) return drop('not-stun');
  const length = readUint16(data, 2);
  if ((length & 3) !== 0 || HEADER_LENGTH + length > data.length) return drop('not-stun');
  const type = readUint16(data, 0);
  if (type !== BINDING_REQUEST) return dropOther(type);
  const legacy = readUint32(data, 4) !== MAGIC_COOKIE;
  if (length === 0) return success(cfg, data, from, receivedOn, receivedOn, from, undefined, legacy);
  const r = decodeMessage(data, { maxAttributes: cfg.maxAttributes });
  if (!r.ok) return drop('malformed', r.reason);
  return handleAttributes(cfg, r.value, from, receivedOn);
}

function handleAttributes(cfg: HandlerConfig, m: StunMessage, from: Endpoint, receivedOn: number): Outcome {
  // RFC 8489 §14.7: a request with a wrong FINGERPRINT is not STUN. RFC 3489 had none.
  if (!m.isRfc3489 && verifyFingerprint(m) === false) return drop('bad-fingerprint');
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes get 420. With one socket
  // CHANGE-REQUEST is not in `known`: RFC 5780 §6 requires exactly this 420.
  const unknown = unknownComprehensionRequired(m, cfg.known);
  if (unknown.length > 0) return error(cfg, m, from, receivedOn, ErrorCodes.UnknownAttribute, 'Unknown Attribute', unknown);
  const change = readChange(m);
  if (change === 'malformed') return error(cfg, m, from, receivedOn, ErrorCodes.BadRequest, 'Malformed CHANGE-REQUEST');
  // RFC 5780 §6: without a second IP with the same ports, CHANGE-REQUEST gets 420. A port-only
  // server still honors change-port (a deliberate extension), but not change-IP.
  if (change?.changeIp === true && cfg.mode !== 'full') {
    const changeRequestType = [AttributeType.ChangeRequest];
    return error(cfg, m, from, receivedOn, ErrorCodes.UnknownAttribute, 'Unknown Attribute', changeRequestType);
  }
  const portAttribute = getAttribute(m, AttributeType.ResponsePort);
  const paddingAttribute = getAttribute(m, AttributeType.Padding);
  let to = from;
  if (portAttribute !== undefined) {
    const port = decodeResponsePort(portAttribute.value);
    if (port === undefined || port === 0) return error(cfg, m, from, receivedOn, ErrorCodes.BadRequest, 'Bad RESPONSE-PORT');
    // RFC 5780 §6.1: PADDING together with RESPONSE-PORT is a 400.
    if (paddingAttribute !== undefined) {
      return error(cfg, m, from, receivedOn, ErrorCodes.BadRequest, 'PADDING with RESPONSE-PORT');
    }
    to = { address: from.address, port };
  }
  // RFC 5780 §6.1 Table 1: change IP flips the address, change port flips the port.
  const via = receivedOn ^ (change?.changeIp === true ? 2 : 0) ^ (change?.changePort === true ? 1 : 0);
  // Never more padding than the request carried: PADDING cannot amplify.
  const pad = paddingAttribute === undefined ? undefined : Math.min(paddingAttribute.value.length, cfg.maxPadding);
  return success(cfg, m.raw, from, receivedOn, via, to, pad, m.isRfc3489);
}

function success(
  cfg: HandlerConfig,
  request: Uint8Array,
  from: Endpoint,
  receivedOn: number,
  via: number,
  to: Endpoint,
  pad: number | undefined,
  legacy: boolean,
): Outcome {
  const responder = cfg.responders[receivedOn]?.[via];
  if (responder === undefined) return drop('not-stun');
  const bytes = legacy ? responder.legacySuccess(request, from) : responder.success(request, from, pad);
  return bytes === undefined ? drop('bad-address') : { kind: 'respond', via, to, bytes };
}

function error(
  cfg: HandlerConfig,
  m: StunMessage,
  to: Endpoint,
  via: number,
  code: number,
  reason: string,
  unknown?: readonly number[],
): Outcome {
  // RFC 3489 §11.2.9, §11.2.10: a classic client wants every length a multiple of 4, and knows
  // no SOFTWARE (it reads 0x8022 as SERVER, whose length must be a multiple of 4 too).
  const legacy = m.isRfc3489;
  const attributes: AttributeSpec[] = [legacy ? legacyErrorCode(code, reason) : errorCode(code, reason)];
  if (unknown !== undefined) attributes.push(legacy ? legacyUnknownAttributes(unknown) : unknownAttributes(unknown));
  if (cfg.software !== undefined && !legacy) attributes.push(cfg.software);
  const bytes = encodeMessage(
    { method: 0x001, class: 'error', transactionId: m.legacyTransactionId ?? m.transactionId, attributes },
    { fingerprint: !m.isRfc3489 },
  );
  return { kind: 'respond', via, to, bytes, errorCode: code };
}

function readChange(m: StunMessage): ChangeRequest | 'malformed' | undefined {
  const a = getAttribute(m, AttributeType.ChangeRequest);
  if (a === undefined) return undefined;
  return decodeChangeRequest(a.value) ?? 'malformed';
}

function dropOther(type: number): Outcome {
  const cls = classOf(type);
  if (cls === 'indication') return drop('indication');
  if (cls === 'success' || cls === 'error') return drop('response');
  return drop('unsupported-method', `method 0x${methodOf(type).toString(16)}`);
}

function drop(reason: ServerDropReason, detail?: string): Outcome {
  return detail === undefined ? { kind: 'drop', reason } : { kind: 'drop', reason, detail };
}
