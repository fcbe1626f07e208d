/** The server's view of one client connection: what a session needs of a WebSocket. */
export interface ClientTransport {
  /** Queues one text frame; false (and the connection is closing) when the queue bound was hit. */
  send(text: string): boolean;
  /** Starts a close handshake with a code and a short reason. */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
}
