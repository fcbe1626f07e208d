import type { StreamConnection } from '@natkit/net';

const encoder = new TextEncoder();

/**
 * The HTTP slot's answer until a rendezvous claims it: a WebSocket upgrade gets 426 (nothing here
 * speaks WebSocket yet), anything else 404; then the connection closes.
 */
export function answerHttpPlaceholder(connection: StreamConnection, firstBytes: Uint8Array): void {
  const head = new TextDecoder('latin1').decode(firstBytes.subarray(0, 4096)).toLowerCase();
  const upgrade = head.includes('upgrade: websocket');
  const body = upgrade ? 'natkit: no WebSocket service on this port\n' : 'natkit: nothing here (this port serves STUN and TURN)\n';
  const status = upgrade ? '426 Upgrade Required' : '404 Not Found';
  const response =
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n${body}`;
  // Later bytes of the request are read and ignored until the close completes.
  connection.onData(() => {});
  connection.write(encoder.encode(response));
  void connection.close(1000);
}
