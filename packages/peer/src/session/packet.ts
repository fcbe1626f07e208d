/**
 * The session layer's datagrams. Their first byte is 4, 5 or 6, a range that RFC 7983 / RFC 9443
 * leave unassigned (STUN 0-3, ZRTP 16-19, DTLS 20-63, TURN ChannelData 64-79, QUIC 80-127 and
 * 192-255, RTP/RTCP 128-191), so one UDP socket can carry them next to STUN and TURN.
 *
 *     handshake init (144 bytes)           handshake response (60 bytes)
 *     0      type = 4                      0      type = 5
 *     1      version = 1                   1      version = 1
 *     2-3    zero                          2-3    zero
 *     4-7    sender id (u32 BE)            4-7    receiver id (u32 BE): the initiator's sender id
 *     8-143  Noise IK message 1            8-59   Noise IK message 2
 *            (e, s, payload: Ed25519              (e, payload: the responder's sender id, u32 BE)
 *            key and timestamp)
 *
 *     transport (30 bytes + payload)
 *     0      type = 6
 *     1      key epoch (u8, wraps)
 *     2-5    receiver id (u32 BE)
 *     6-13   counter (u64 LE): the ChaChaPoly nonce (Noise §12.3 puts it little-endian)
 *     14-    ChaCha20-Poly1305(payload), 16-byte tag; the 14 header bytes are the associated data
 *
 * The ids are connection ids chosen by each side for itself, independent of the 5-tuple, so a
 * session survives a move from the relay to a direct path and NAT rebinding.
 */
import { IK_MESSAGE1_OVERHEAD, IK_MESSAGE2_OVERHEAD } from './handshake-ik.js';
import { TAGLEN } from './noise-crypto.js';

export const PacketType = { HandshakeInit: 4, HandshakeResponse: 5, Transport: 6 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

export const SESSION_VERSION = 1;
export const HANDSHAKE_HEADER_LENGTH = 8;
export const INIT_PAYLOAD_LENGTH = 32 + 8; // Ed25519 public key, timestamp
export const RESPONSE_PAYLOAD_LENGTH = 4; // responder's sender id
export const HANDSHAKE_INIT_LENGTH = HANDSHAKE_HEADER_LENGTH + IK_MESSAGE1_OVERHEAD + INIT_PAYLOAD_LENGTH;
export const HANDSHAKE_RESPONSE_LENGTH = HANDSHAKE_HEADER_LENGTH + IK_MESSAGE2_OVERHEAD + RESPONSE_PAYLOAD_LENGTH;
export const TRANSPORT_HEADER_LENGTH = 14;
/** Bytes a transport packet adds to its payload. */
export const TRANSPORT_OVERHEAD = TRANSPORT_HEADER_LENGTH + TAGLEN;
/**
 * The largest payload of one transport packet. A datagram of 65,030 bytes fits UDP over IPv4
 * (65,507) with room for relay framing (TURN ChannelData adds 4, a Send indication 36 or more).
 * Paths across the internet should stay near 1,200 bytes of payload to avoid IP fragmentation.
 */
export const MAX_PAYLOAD_LENGTH = 65_000;

/** A connection id: a u32 chosen by the receiving side, carried in every packet sent to it. */
export type ConnectionId = number;

/** True when the first byte says this datagram belongs to the session layer (a demultiplexer's test). */
export function isSessionPacket(bytes: Uint8Array): boolean {
  const first = bytes[0];
  return first !== undefined && first >= PacketType.HandshakeInit && first <= PacketType.Transport;
}

export function isConnectionId(value: number): value is ConnectionId {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return u32(bytes, at);
}

/**
 * The connection id a packet is addressed to (the receiver id of a response or transport packet),
 * for routing to a session without decrypting; `undefined` for an init or a non-session packet.
 */
export function readReceiverId(bytes: Uint8Array): ConnectionId | undefined {
  if (bytes[0] === PacketType.Transport && bytes.length >= TRANSPORT_OVERHEAD) return u32(bytes, 2);
  if (bytes[0] === PacketType.HandshakeResponse && bytes.length === HANDSHAKE_RESPONSE_LENGTH) return u32(bytes, 4);
  return undefined;
}

export function encodeHandshakeHeader(type: PacketType, id: ConnectionId): Uint8Array {
  const header = new Uint8Array(HANDSHAKE_HEADER_LENGTH);
  header[0] = type;
  header[1] = SESSION_VERSION;
  writeU32(header, 4, id);
  return header;
}

export type HandshakeHeaderResult =
  | { ok: true; value: { header: Uint8Array; id: ConnectionId; noise: Uint8Array } }
  | { ok: false; reason: string };

/** Checks the type, version and exact length of a handshake packet; the Noise bytes are checked by Noise. */
export function decodeHandshakePacket(bytes: Uint8Array, type: PacketType): HandshakeHeaderResult {
  const expected = type === PacketType.HandshakeInit ? HANDSHAKE_INIT_LENGTH : HANDSHAKE_RESPONSE_LENGTH;
  if (bytes[0] !== type) return { ok: false, reason: 'not this handshake packet type' };
  if (bytes.length !== expected) return { ok: false, reason: `a handshake packet of type ${type} has ${expected} bytes, not ${bytes.length}` };
  if (bytes[1] !== SESSION_VERSION) return { ok: false, reason: `unsupported session version ${bytes[1]}` };
  if (bytes[2] !== 0 || bytes[3] !== 0) return { ok: false, reason: 'reserved bytes are not zero' };
  return {
    ok: true,
    value: { header: bytes.subarray(0, HANDSHAKE_HEADER_LENGTH), id: u32(bytes, 4), noise: bytes.subarray(HANDSHAKE_HEADER_LENGTH) },
  };
}
