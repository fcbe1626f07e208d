import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { normalizeAddress } from '@natkit/net';
import { CloseCode } from '../protocol/close-code.js';
import { encodeMessage } from '../protocol/encode.js';
import { MAX_MESSAGE_BYTES } from '../protocol/limits.js';
import { SUPPORTED_VERSIONS, selectVersion } from '../protocol/version.js';
import { dispatchMessage } from './dispatch-message.js';
import { ipLimitKey } from './ip-key.js';
import type { ServerContext } from './server-context.js';
import { Session } from './session.js';
import { createWsTransport } from './ws-transport.js';

/** Connections per IP key, counted by the server; shared by every accept. */
export type IpConnectionCounts = Map<string, number>;

/**
 * A new WebSocket: refuses it with a typed error when its version or the connection limits say
 * so, else makes it a session, sends `hello` and routes its frames.
 */
export function acceptConnection(ctx: ServerContext, counts: IpConnectionCounts, ws: WebSocket, request: IncomingMessage, nextId: () => string): void {
  ws.on('error', (error) => ctx.logger.debug('websocket error', { error: error.message }));
  const version = selectVersion(ws.protocol === '' ? [] : [ws.protocol]);
  if (version === null) {
    return refuseEarly(ctx, ws, 'unsupported-version', `offer the subprotocol of a version this server speaks: ${SUPPORTED_VERSIONS.map((v) => `natkit-rendezvous.v${v}`).join(', ')}`, CloseCode.UnsupportedVersion);
  }
  const address = normalizeAddress(request.socket.remoteAddress ?? '0.0.0.0');
  const ipKey = ipLimitKey(address);
  const limits = ctx.options.limits;
  const fromIp = counts.get(ipKey) ?? 0;
  if (fromIp >= limits.connectionsPerIp || ctx.sessions.size >= limits.maxConnections) {
    return refuseEarly(ctx, ws, 'too-many-connections', fromIp >= limits.connectionsPerIp ? `at most ${limits.connectionsPerIp} connections per address` : 'the server is full', CloseCode.TooManyConnections);
  }
  counts.set(ipKey, fromIp + 1);
  const now = ctx.clock.now();
  const transport = createWsTransport(ws, limits.maxBufferedBytes, () => ctx.counters.close('slow-reader'));
  const session = new Session(nextId(), transport, { address, port: request.socket.remotePort ?? 0 }, ipKey, now, limits.messagesPerConnection, ctx.random);
  session.version = version;
  ctx.sessions.set(session.id, session);
  ctx.counters.accepted++;
  ws.on('message', (data, isBinary) => dispatchMessage(ctx, session, toBuffer(data), isBinary));
  ws.once('close', () => {
    const peerId = session.peerId;
    session.dispose();
    ctx.addressTokens.revoke(session.id);
    ctx.sessions.delete(session.id);
    const left = (counts.get(ipKey) ?? 1) - 1;
    if (left <= 0) counts.delete(ipKey);
    else counts.set(ipKey, left);
    if (peerId !== null) {
      ctx.store.remove(peerId, session.id).catch((error: unknown) => {
        ctx.logger.warn('presence removal failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }
  });
  session.send({ type: 'hello', version, challenge: session.challenge ?? '', registerWithinMs: ctx.options.registerWithinMs, heartbeatMs: ctx.options.heartbeatMs, maxMessageBytes: MAX_MESSAGE_BYTES });
}

function refuseEarly(ctx: ServerContext, ws: WebSocket, code: 'unsupported-version' | 'too-many-connections', message: string, closeCode: number): void {
  ctx.counters.refuse(code);
  const extra = code === 'unsupported-version' ? { supported: [...SUPPORTED_VERSIONS] } : {};
  ws.send(encodeMessage({ type: 'error', code, message, ...extra }));
  ws.close(closeCode, code);
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
