import { WebSocket } from 'ws';
import type { Clock } from '@natkit/net';
import { RendezvousConnectionError, RendezvousRefusedError } from '../errors.js';
import type { Candidate } from '../protocol/candidate.js';
import { decodeServerMessage } from '../protocol/decode.js';
import { encodeMessage } from '../protocol/encode.js';
import { HARD_MAX_PAYLOAD_BYTES } from '../protocol/limits.js';
import type { Hello } from '../protocol/messages/hello.js';
import type { Registered } from '../protocol/messages/registered.js';
import type { NatProfile } from '../protocol/nat-profile.js';
import { REGISTER_CONTEXT, registerSigningPayload } from '../protocol/register-payload.js';
import { SUPPORTED_VERSIONS, subprotocolOf } from '../protocol/version.js';

/** Signs in a domain: `sign(context, message)` of @natkit/identity, bound to the peer's key. */
export interface RendezvousIdentity {
  readonly peerId: string;
  sign(context: string, message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface HandshakeInput {
  readonly url: string;
  readonly identity: RendezvousIdentity;
  readonly nat: NatProfile;
  readonly candidates: readonly Candidate[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Opens the WebSocket, answers the `hello` challenge with a signed `register` and waits for
 * `registered`. `onRegistered` runs synchronously in the handler of `registered`, so that
 * whoever takes the socket over misses no message.
 */
export function registerHandshake<T>(input: HandshakeInput, clock: Clock, onRegistered: (ws: WebSocket, hello: Hello, registered: Registered) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (input.signal?.aborted === true) {
      reject(input.signal.reason as Error);
      return;
    }
    const ws = new WebSocket(input.url, SUPPORTED_VERSIONS.map(subprotocolOf), { maxPayload: HARD_MAX_PAYLOAD_BYTES, perMessageDeflate: false, handshakeTimeout: input.timeoutMs });
    let hello: Hello | null = null;
    const fail = (error: Error): void => {
      cleanup();
      ws.on('error', () => {}); // terminate() before the handshake ends emits one
      ws.terminate();
      reject(error);
    };
    const onAbort = (): void => fail(input.signal?.reason as Error);
    const timer = clock.setTimeout(() => fail(new RendezvousConnectionError('ERR_RENDEZVOUS_CONNECT', `no registration with ${input.url} within ${input.timeoutMs} ms`)), input.timeoutMs);
    const onError = (error: Error): void => fail(new RendezvousConnectionError('ERR_RENDEZVOUS_CONNECT', `cannot reach the rendezvous server ${input.url}: ${error.message}`, error));
    const onClose = (code: number, reason: Buffer): void => fail(new RendezvousConnectionError('ERR_RENDEZVOUS_CLOSED', `the server closed the connection (${code} ${reason.toString()})`));
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      const decoded = decodeServerMessage(data, isBinary);
      if (!decoded.ok) return fail(new RendezvousConnectionError('ERR_RENDEZVOUS_PROTOCOL', `the server sent ${decoded.reason}`));
      const message = decoded.value;
      if (message.type === 'error') return fail(new RendezvousRefusedError(message.code, message.message, message.retryAfterMs ?? null));
      if (message.type === 'hello' && hello === null) {
        hello = message;
        sendRegister(ws, input, message).catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
      } else if (message.type === 'registered' && hello !== null) {
        cleanup();
        resolve(onRegistered(ws, hello, message));
      }
    };
    const cleanup = (): void => {
      timer.cancel();
      input.signal?.removeEventListener('abort', onAbort);
      ws.off('message', onMessage);
      ws.off('error', onError);
      ws.off('close', onClose);
    };
    input.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('message', onMessage);
    ws.on('error', onError);
    ws.on('close', onClose);
  });
}

async function sendRegister(ws: WebSocket, input: HandshakeInput, hello: Hello): Promise<void> {
  const payload = registerSigningPayload(hello.challenge);
  if (payload === null) throw new RendezvousConnectionError('ERR_RENDEZVOUS_PROTOCOL', 'the server sent a challenge that is not 32 base64url bytes');
  const signature = await input.identity.sign(REGISTER_CONTEXT, payload);
  if (ws.readyState !== ws.OPEN) return;
  ws.send(encodeMessage({ type: 'register', peerId: input.identity.peerId, challenge: hello.challenge, signature: Buffer.from(signature).toString('base64url'), nat: input.nat, candidates: [...input.candidates] }));
}
