import type { Endpoint, LogFields, Logger, UdpSocket } from '@natkit/net';
import { decodeMessage, transactionKey, type StunMessage } from '../../src/index.js';

export interface Received {
  readonly message: StunMessage;
  readonly from: Endpoint;
  readonly bytes: Uint8Array;
}

/**
 * Resolves with the first STUN message for transaction `id` arriving on `socket`, or undefined
 * after `timeoutMs`. Start waiting before sending.
 */
export function waitFor(socket: UdpSocket, id: Uint8Array, timeoutMs = 2000): Promise<Received | undefined> {
  const key = transactionKey(id.subarray(id.length - 12));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(undefined);
    }, timeoutMs);
    const off = socket.onMessage((data, from) => {
      const r = decodeMessage(new Uint8Array(data));
      if (!r.ok || transactionKey(r.value.transactionId) !== key) return;
      clearTimeout(timer);
      off();
      resolve({ message: r.value, from, bytes: r.value.raw });
    });
  });
}

/** Sends `bytes` from `socket` to `to` and waits for the answer on `answerOn` (default: `socket`). */
export async function exchange(
  socket: UdpSocket,
  to: Endpoint,
  bytes: Uint8Array,
  id: Uint8Array,
  answerOn: UdpSocket = socket,
): Promise<Received> {
  const answer = waitFor(answerOn, id);
  socket.send(bytes, to);
  const r = await answer;
  if (r === undefined) throw new Error('no answer');
  return r;
}

/** A logger that records what it is told. */
export function recordingLogger(): Logger & { readonly lines: { level: string; message: string; fields?: LogFields }[] } {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const make = (): Logger & { lines: typeof lines } => {
    const at =
      (level: string) =>
      (message: string, fields?: LogFields): void => {
        lines.push(fields === undefined ? { level, message } : { level, message, fields });
      };
    return {
      lines,
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: () => make(),
    };
  };
  return make();
}
