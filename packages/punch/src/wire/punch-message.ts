/**
 * The punch datagram: one demultiplexing byte, then the authenticator's sealed form of an
 * 11-byte body. 0xE1 lies in a range RFC 7983 §7 leaves unassigned (192-255), so a socket that
 * also carries STUN (0-3), DTLS (20-63), TURN channels (64-79) and RTP (128-191) tells it apart.
 *
 * Body: version (1) | type (1: probe, 2: ack) | flags (bit 0 nominate, bit 1 sender controls) | txid (8).
 */
export const PUNCH_MAGIC = 0xe1;
export const PUNCH_VERSION = 1;
export const PUNCH_BODY_LENGTH = 11;
/** No punch datagram is longer: anything longer is dropped before the authenticator sees it. */
export const MAX_PUNCH_DATAGRAM = 256;

export type PunchMessageType = 'probe' | 'ack';

export interface PunchMessage {
  readonly type: PunchMessageType;
  /** Set by the controlling side on the pair it selects (ICE-style nomination, RFC 8445 §8.1.1). */
  readonly nominate: boolean;
  /** The sender's role, so a reflected datagram is not taken for the peer's. */
  readonly senderControls: boolean;
  /** 8 bytes chosen by the prober; an ack repeats its probe's. */
  readonly txid: Uint8Array;
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function encodePunchBody(m: PunchMessage): Uint8Array {
  if (m.txid.length !== 8) throw new RangeError('a punch txid is 8 bytes');
  const out = new Uint8Array(PUNCH_BODY_LENGTH);
  out[0] = PUNCH_VERSION;
  out[1] = m.type === 'probe' ? 1 : 2;
  out[2] = (m.nominate ? 1 : 0) | (m.senderControls ? 2 : 0);
  out.set(m.txid, 3);
  return out;
}

/** Never throws: a body that is not exactly a version-1 punch message is refused with a reason. */
export function decodePunchBody(body: Uint8Array): DecodeResult<PunchMessage> {
  if (body.length !== PUNCH_BODY_LENGTH) return { ok: false, reason: `body of ${body.length} bytes, want ${PUNCH_BODY_LENGTH}` };
  if (body[0] !== PUNCH_VERSION) return { ok: false, reason: `unknown version ${body[0]}` };
  const t = body[1];
  if (t !== 1 && t !== 2) return { ok: false, reason: `unknown type ${t}` };
  const flags = body[2]!;
  if ((flags & ~3) !== 0) return { ok: false, reason: `unknown flags ${flags}` };
  return {
    ok: true,
    value: { type: t === 1 ? 'probe' : 'ack', nominate: (flags & 1) !== 0, senderControls: (flags & 2) !== 0, txid: body.slice(3, 11) },
  };
}

/** Whether a datagram is (claims to be) a punch datagram: RFC 7983-style first-byte demultiplexing. */
export function isPunchDatagram(data: Uint8Array): boolean {
  return data.length > 1 && data.length <= MAX_PUNCH_DATAGRAM && data[0] === PUNCH_MAGIC;
}
