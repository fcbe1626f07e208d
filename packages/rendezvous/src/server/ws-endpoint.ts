import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { HARD_MAX_PAYLOAD_BYTES } from '../protocol/limits.js';
import { selectVersion, subprotocolOf } from '../protocol/version.js';
import { acceptConnection, type IpConnectionCounts } from './accept-connection.js';
import type { ServerContext } from './server-context.js';
import { duplexOf, type ByteStream } from './stream-duplex.js';

/** Where WebSocket upgrades enter the server, by either route. */
export interface WsEndpoint {
  readonly handleUpgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly handleConnection: (socket: Duplex, firstBytes: Uint8Array) => void;
  readonly handleStream: (stream: ByteStream, firstBytes: Uint8Array) => void;
  /** Drops raw connections still being parsed (not yet upgraded). */
  readonly closeParsing: () => void;
}

/**
 * Upgrades on the configured path become sessions; other paths get 404, and 503 once
 * `isClosed()`. Raw connections go through an HTTP parser that never listens.
 */
export function createWsEndpoint(ctx: ServerContext, isClosed: () => boolean): WsEndpoint {
  const { path: servedPath, nodeId } = ctx.options;
  const counts: IpConnectionCounts = new Map();
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: HARD_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
    // Pick our version when offered. Otherwise echo another natkit-rendezvous version (a client
    // fails a handshake without its subprotocol, RFC 6455 §4.1) and refuse it with a typed error.
    handleProtocols: (offered) => {
      const version = selectVersion(offered);
      if (version !== null) return subprotocolOf(version);
      return [...offered].find((name) => name.startsWith('natkit-rendezvous.')) ?? false;
    },
  });
  let sequence = 0;
  const nextId = (): string => `${nodeId}:${(++sequence).toString(36)}`;

  const handleUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {});
    const path = (request.url ?? '/').split('?', 1)[0];
    if (isClosed() || path !== servedPath) {
      socket.end(`HTTP/1.1 ${isClosed() ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => acceptConnection(ctx, counts, ws, request, nextId));
  };

  const parser = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
    response.end(`natkit rendezvous: open a WebSocket to ${servedPath}\n`);
  });
  parser.on('upgrade', handleUpgrade);
  parser.on('clientError', (_error, socket) => socket.destroy());

  const handleConnection = (socket: Duplex, firstBytes: Uint8Array): void => {
    if (firstBytes.byteLength > 0) socket.unshift(Buffer.from(firstBytes.buffer, firstBytes.byteOffset, firstBytes.byteLength));
    parser.emit('connection', socket);
    socket.resume();
  };
  return {
    handleUpgrade,
    handleConnection,
    handleStream: (stream, firstBytes) => handleConnection(duplexOf(stream), firstBytes),
    closeParsing: () => {
      parser.closeAllConnections();
    },
  };
}
