import { familyOf, type Endpoint } from '@natkit/net';

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
  /**
   * The sender's relay allocation was replaced: u32 nonce, u16 port, then the new relayed IP as
   * text (at most 45 bytes). Answered with ProbeAck (the same nonce); the receiver sends what
   * went to the old relayed address to the new one.
   */
  RelayMoved: 5,
} as const;

const MAX_ADDRESS_TEXT = 45;

export type ControlMessage =
  | { readonly type: 'data'; readonly payload: Uint8Array }
  | { readonly type: 'probe'; readonly nonce: number }
  | { readonly type: 'probe-ack'; readonly nonce: number }
  | { readonly type: 'close' }
  | { readonly type: 'reprobe' }
  | { readonly type: 'relay-moved'; readonly nonce: number; readonly relayed: Endpoint };

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
    case 'relay-moved': {
      const address = new TextEncoder().encode(message.relayed.address).subarray(0, MAX_ADDRESS_TEXT);
      const out = new Uint8Array(7 + address.length);
      out[0] = MessageType.RelayMoved;
      const view = new DataView(out.buffer);
      view.setUint32(1, message.nonce >>> 0);
      view.setUint16(5, message.relayed.port);
      out.set(address, 7);
      return out;
    }
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
  if (type === MessageType.RelayMoved) return decodeRelayMoved(bytes);
  return { ok: false, reason: type === undefined ? 'empty' : 'unknown-type' };
}

function decodeRelayMoved(bytes: Uint8Array): { ok: true; value: ControlMessage } | { ok: false; reason: string } {
  if (bytes.length < 8 || bytes.length > 7 + MAX_ADDRESS_TEXT) return { ok: false, reason: 'relay-moved-length' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const port = view.getUint16(5);
  let address: string;
  try {
    address = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(7));
  } catch {
    return { ok: false, reason: 'relay-moved-address' };
  }
  if (port === 0 || familyOf(address) === undefined) return { ok: false, reason: 'relay-moved-address' };
  return { ok: true, value: { type: 'relay-moved', nonce: view.getUint32(1), relayed: { address, port } } };
}
