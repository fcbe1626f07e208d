import type { Endpoint, Family, MessageHandler, StreamConnection, UdpSocket } from '@natkit/net';
import { StreamDeframer } from '../proto/stream-framing.js';
import { TurnClientError } from './turn-client-error.js';

const CLOSE_GRACE_MS = 250;

/**
 * A TURN control connection over TCP or TLS seen as a `UdpSocket`: each STUN or ChannelData
 * message cut from the stream (RFC 8656 §12.5, RFC 8489 §6.2.2) arrives as one "datagram" from the
 * server, and `send` writes one message whatever `to` says. This lets the STUN transaction client
 * and the relayed socket run unchanged over a stream. A stream that breaks framing is closed.
 */
export class StreamControlSocket implements UdpSocket {
  readonly local: Endpoint;
  readonly family: Family;
  readonly #connection: StreamConnection;
  readonly #deframer = new StreamDeframer();
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(e: Error) => void>();

  constructor(connection: StreamConnection) {
    this.#connection = connection;
    this.local = connection.local;
    this.family = connection.remote.address.includes(':') ? 6 : 4;
    connection.onData((chunk) => this.#receive(chunk));
    connection.onClose((error) => {
      const why = error === undefined ? '' : `: ${error.message}`;
      this.#emitError(new TurnClientError('ERR_TURN_CLOSED', `the connection to the TURN server closed${why}`, undefined, error));
    });
  }

  get closed(): boolean {
    return this.#connection.closed;
  }

  send(data: Uint8Array, _to: Endpoint): void {
    const r = this.#connection.write(data);
    if (r === 'closed') this.#emitError(new TurnClientError('ERR_TURN_CLOSED', 'write on a closed TURN connection'));
  }

  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onError(handler: (error: Error) => void): () => void {
    this.#errorHandlers.add(handler);
    return () => this.#errorHandlers.delete(handler);
  }

  /**
   * Closes the connection. Everything that mattered was answered already (the deallocation), so
   * the server gets 250 ms to close its side, not the connection's default second.
   */
  close(): Promise<void> {
    return this.#connection.close(CLOSE_GRACE_MS);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receive(chunk: Uint8Array): void {
    const r = this.#deframer.push(chunk);
    if (!r.ok) {
      this.#emitError(new TurnClientError('ERR_TURN_PROTOCOL', `the TURN server broke stream framing: ${r.reason}`));
      void this.#connection.close(0);
      return;
    }
    const from = this.#connection.remote;
    for (const frame of r.value) {
      for (const h of [...this.#handlers]) {
        try {
          h(frame.bytes, from);
        } catch (e) {
          // A throwing listener must not cost the others (or the next frames) their messages.
          this.#emitError(e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
  }

  #emitError(e: Error): void {
    for (const h of [...this.#errorHandlers]) {
      try {
        h(e);
      } catch {
        // a throwing listener must not break the others
      }
    }
  }
}
