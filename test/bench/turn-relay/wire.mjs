// TURN messages for the relay benchmark's load generator, built with @natkit/stun's codec
// (encodeMessage, long-term credential key, MESSAGE-INTEGRITY). Only what a load generator sends:
// Allocate, Refresh, CreatePermission, ChannelBind, and ChannelData framing. RFC 8656.
import {
  createTransactionId,
  decodeMessage,
  encodeMessage,
  longTermKey,
  nonce as nonceAttribute,
  readAlternateServer,
  readErrorCode,
  readNonce,
  readRealm,
  realm as realmAttribute,
  username as usernameAttribute,
  xorMappedAddress,
} from '../../../packages/stun/dist/index.js';

/** TURN methods. RFC 8656 §17 */
export const TurnMethod = { Allocate: 0x003, Refresh: 0x004, CreatePermission: 0x008, ChannelBind: 0x009 };

/** TURN attributes. RFC 8656 §18 */
const Attr = { ChannelNumber: 0x000c, Lifetime: 0x000d, XorPeerAddress: 0x0012, RequestedTransport: 0x0019 };

/** First channel number. RFC 8656 §12 (0x4000-0x4FFF) */
export const FIRST_CHANNEL = 0x4000;

/** REQUESTED-TRANSPORT UDP (protocol 17). RFC 8656 §18.7 */
const requestedTransportUdp = () => ({ type: Attr.RequestedTransport, value: Uint8Array.of(17, 0, 0, 0) });

/** XOR-PEER-ADDRESS has XOR-MAPPED-ADDRESS's encoding. RFC 8656 §18.3 */
const xorPeerAddress = (peer) => ({ ...xorMappedAddress(peer), type: Attr.XorPeerAddress });

const lifetime = (seconds) => {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, seconds);
  return { type: Attr.Lifetime, value };
};

const channelNumber = (channel) => ({ type: Attr.ChannelNumber, value: Uint8Array.of(channel >> 8, channel & 0xff, 0, 0) });

/** Long-term credentials as a client holds them: the key is computed once per realm. */
export function credentials(user, password) {
  return { user, password, realm: undefined, nonce: undefined, key: undefined };
}

function learn(creds, m) {
  const realm = readRealm(m);
  const nonce = readNonce(m);
  if (nonce !== undefined) creds.nonce = nonce;
  if (realm !== undefined && realm !== creds.realm) {
    creds.realm = realm;
    creds.key = longTermKey(creds.user, realm, creds.password);
  }
}

/** Encodes a request; with credentials that know the realm, signed (USERNAME, REALM, NONCE, MI). */
export function encodeRequest(method, attributes, creds, transactionId = createTransactionId()) {
  const signed = creds?.key !== undefined;
  const all = signed
    ? [...attributes, usernameAttribute(creds.user), realmAttribute(creds.realm), nonceAttribute(creds.nonce)]
    : attributes;
  const bytes = encodeMessage({ method, class: 'request', transactionId, attributes: all }, signed ? { integrityKey: creds.key } : undefined);
  return { bytes, transactionId };
}

export const allocateAttributes = (seconds) => (seconds === undefined ? [requestedTransportUdp()] : [requestedTransportUdp(), lifetime(seconds)]);
export const refreshAttributes = (seconds) => [lifetime(seconds)];
export const permissionAttributes = (peer) => [xorPeerAddress(peer)];
export const channelBindAttributes = (channel, peer) => [channelNumber(channel), xorPeerAddress(peer)];

/**
 * Reads a response. Returns { kind: 'success' } | { kind: 'retry' } (401 or 438: credentials
 * updated from REALM/NONCE, send again signed) | { kind: 'error', code, reason } | undefined
 * (not a response to `transactionId`).
 */
export function readResponse(bytes, transactionId, creds) {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) return undefined;
  const m = decoded.value;
  if (m.class === 'request' || m.class === 'indication' || !sameId(m.transactionId, transactionId)) return undefined;
  if (m.class === 'success') {
    learn(creds, m);
    return { kind: 'success', message: m };
  }
  const error = readErrorCode(m) ?? { code: 0, reason: 'no ERROR-CODE' };
  // 300 Try Alternate (natkit serve --workers): the Allocate goes to ALTERNATE-SERVER.
  const alternate = error.code === 300 ? readAlternateServer(m) : undefined;
  if (alternate !== undefined) return { kind: 'redirect', to: alternate };
  const hadKey = creds.key !== undefined;
  if (error.code === 401 || error.code === 438) {
    learn(creds, m);
    // A 401 to a signed request means wrong credentials; 438 (stale nonce) always retries.
    if (error.code === 438 || !hadKey) return { kind: 'retry', code: error.code };
  }
  return { kind: 'error', code: error.code, reason: error.reason };
}

function sameId(a, b) {
  for (let i = 0; i < 12; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ChannelData: channel number, length, data (RFC 8656 §12.4); our payloads are 4-byte multiples. */
export function channelData(channel, payload) {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt16BE(channel, 0);
  out.writeUInt16BE(payload.length, 2);
  payload.copy(out, 4);
  return out;
}

/** True for a ChannelData message (first two bits 01, RFC 8656 §12.4 / RFC 7983). */
export const isChannelData = (bytes) => bytes.length >= 4 && (bytes[0] & 0xc0) === 0x40;
