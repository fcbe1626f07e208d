import { isChannelDataFirstByte } from '../proto/stream-framing.js';

/**
 * What a new TCP connection on the one natkit port carries, told from its first bytes:
 * - `turn`: STUN/TURN framing (RFC 7983 §7: first byte 0-3 STUN, 0x40-0x4F ChannelData);
 * - `tls`: a TLS handshake record (content type 22, RFC 8446 §5.1), the ClientHello;
 * - `http`: an HTTP/1.x request line (`GET `, ...), where the rendezvous' WebSocket lives;
 * - `need-more`: too few bytes to tell yet;
 * - `unknown`: none of these: close it.
 */
export type FirstBytesKind = 'turn' | 'tls' | 'http' | 'need-more' | 'unknown';

/** RFC 9110 §9 methods; an HTTP request line starts with one of these and a space. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map((m) =>
  Uint8Array.from(`${m} `, (c) => c.charCodeAt(0)),
);

/** The most bytes `classifyFirstBytes` ever needs ('OPTIONS ' and 'CONNECT '). */
export const FIRST_BYTES_NEEDED = 8;

type Match = 'yes' | 'prefix' | 'no';

function matchToken(bytes: Uint8Array, token: Uint8Array): Match {
  const n = Math.min(bytes.length, token.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== token[i]) return 'no';
  return bytes.length >= token.length ? 'yes' : 'prefix';
}

function matchHttp(bytes: Uint8Array): Match {
  let best: Match = 'no';
  for (const m of HTTP_METHODS) {
    const r = matchToken(bytes, m);
    if (r === 'yes') return 'yes';
    if (r === 'prefix') best = 'prefix';
  }
  return best;
}

/**
 * Classifies the first bytes of a connection. Letters 'C' to 'O' (0x43-0x4F) begin both HTTP
 * methods and ChannelData (channels 0x4000-0x4FFF), so those need up to 8 bytes: an HTTP method
 * and a space win; anything else with a ChannelData first byte is TURN.
 */
export function classifyFirstBytes(bytes: Uint8Array): FirstBytesKind {
  const first = bytes[0];
  if (first === undefined) return 'need-more';
  if (first <= 3) return 'turn';
  if (first === 0x16) return 'tls';
  const http = matchHttp(bytes);
  if (http === 'yes') return 'http';
  if (http === 'prefix') return 'need-more';
  if (isChannelDataFirstByte(first)) return 'turn';
  return 'unknown';
}
