/**
 * What the CLI peers say to each other inside a connection (the first byte): `natkit ping`'s
 * pings and pongs, and `natkit pipe`'s bytes. Malformed messages are dropped.
 */
export type AppMessage =
  | { readonly type: 'ping'; readonly seq: number }
  | { readonly type: 'pong'; readonly seq: number }
  | { readonly type: 'pipe'; readonly data: Uint8Array };

const PING = 0x01;
const PONG = 0x02;
const PIPE = 0x03;
/** Pipe data per datagram: stays under a 1,280-byte path MTU with the session's overhead. */
export const PIPE_CHUNK = 1100;

export function encodeApp(m: AppMessage): Uint8Array {
  if (m.type === 'pipe') {
    const out = new Uint8Array(1 + m.data.length);
    out[0] = PIPE;
    out.set(m.data, 1);
    return out;
  }
  const out = new Uint8Array(5);
  out[0] = m.type === 'ping' ? PING : PONG;
  new DataView(out.buffer).setUint32(1, m.seq >>> 0);
  return out;
}

export function decodeApp(b: Uint8Array): AppMessage | undefined {
  if (b[0] === PIPE) return { type: 'pipe', data: b.subarray(1) };
  if ((b[0] === PING || b[0] === PONG) && b.length === 5) {
    const seq = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(1);
    return { type: b[0] === PING ? 'ping' : 'pong', seq };
  }
  return undefined;
}
