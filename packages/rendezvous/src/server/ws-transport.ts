import type { WebSocket } from 'ws';
import type { ClientTransport } from './client-transport.js';

/**
 * A ClientTransport over a `ws` WebSocket with a bounded send queue: a frame that would take the
 * bytes waiting for the client (`bufferedAmount`) past `maxBufferedBytes` is not queued and the
 * connection is dropped at once (no close frame: it would wait behind the queue; the client sees
 * 1006): a client that does not read never grows server memory.
 */
export function createWsTransport(ws: WebSocket, maxBufferedBytes: number, onSlowReader: () => void): ClientTransport {
  let slow = false;
  return {
    send(text) {
      if (slow || ws.readyState !== ws.OPEN) return false;
      if (ws.bufferedAmount + Buffer.byteLength(text, 'utf8') > maxBufferedBytes) {
        slow = true;
        onSlowReader();
        // The close frame would wait behind the queue the client does not read: drop at once.
        ws.terminate();
        return false;
      }
      ws.send(text);
      return true;
    },
    close(code, reason) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    },
    terminate() {
      ws.terminate();
    },
  };
}
