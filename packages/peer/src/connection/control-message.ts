/**
 * What travels inside an authenticated session packet (the plaintext): one type byte, then the
 * body. Pure codec; a malformed plaintext is dropped by the caller, never thrown on.
 */
export const MessageType = {
  /** Application data: the rest is the datagram. */
  Data: 0,
  /** A path probe: u32 nonce; answered at once with ProbeAck to the address it came from. */
  Probe: 1,
  /** The answer to a Probe: the same u32 nonce. */
  ProbeAck: 2,
  /** The sender closes the connection. */
  Close: 3,
  /** Sent through the relay: the sender starts a new direct-path attempt now, so should the receiver. */
  Reprobe: 4,
} as const;

export type ControlMessage =
  | { readonly type: 'data'; readonly payload: Uint8Array }
  | { readonly type: 'probe'; readonly nonce: number }
  | { readonly type: 'probe-ack'; readonly nonce: number }
  | { readonly type: 'close' }
  | { readonly type: 'reprobe' };

export function encodeControl(message: ControlMessage): Uint8Array {
  switch (message.type) {
    case 'data': {
      const out = new Uint8Array(1 + message.payload.length);
      out[0] = MessageType.Data;
      out.set(message.payload, 1);
      return out;
    }
    case 'probe':
    case 'probe-ack': {
      const out = new Uint8Array(5);
      out[0] = message.type === 'probe' ? MessageType.Probe : MessageType.ProbeAck;
      new DataView(out.buffer).setUint32(1, message.nonce >>> 0);
      return out;
    }
    case 'close':
      return Uint8Array.of(MessageType.Close);
    case 'reprobe':
      return Uint8Array.of(MessageType.Reprobe);
  }
}

export function decodeControl(bytes: Uint8Array): { ok: true; value: ControlMessage } | { ok: false; reason: string } {
  const type = bytes[0];
  if (type === MessageType.Data) return { ok: true, value: { type: 'data', payload: bytes.subarray(1) } };
  if (type === MessageType.Probe || type === MessageType.ProbeAck) {
    if (bytes.length !== 5) return { ok: false, reason: 'probe-length' };
    const nonce = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    return { ok: true, value: { type: type === MessageType.Probe ? 'probe' : 'probe-ack', nonce } };
  }
  if (type === MessageType.Close && bytes.length === 1) return { ok: true, value: { type: 'close' } };
  if (type === MessageType.Reprobe && bytes.length === 1) return { ok: true, value: { type: 'reprobe' } };
  return { ok: false, reason: type === undefined ? 'empty' : 'unknown-type' };
}
