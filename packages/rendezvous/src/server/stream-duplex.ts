import { Duplex } from 'node:stream';

/**
 * What the rendezvous needs of a byte stream that is not a Node socket: the shape of
 * @natkit/net's `StreamConnection` (the one-port listener of `natkit serve` hands those over).
 */
export interface ByteStream {
  readonly remote: { readonly address: string; readonly port: number };
  /** Queues whole `data`; a `'closed'` result means the stream is gone. */
  write(data: Uint8Array): unknown;
  onData(handler: (data: Uint8Array) => void): () => void;
  onClose(handler: (error?: Error) => void): () => void;
  close(graceMs?: number): Promise<void>;
}

/** A Node Duplex over a ByteStream, with `remoteAddress`/`remotePort` as a socket has them. */
export function duplexOf(stream: ByteStream): Duplex {
  let ended = false;
  const duplex = new Duplex({
    read() {
      // Push-based: onData pushes as bytes arrive; frames are bounded by the WebSocket layer.
    },
    write(chunk: Buffer, _encoding, callback) {
      callback(stream.write(chunk) === 'closed' ? new Error('stream closed') : null);
    },
    final(callback) {
      stream.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      void stream.close(0);
      callback(error);
    },
  });
  Object.defineProperties(duplex, {
    remoteAddress: { value: stream.remote.address, enumerable: true },
    remotePort: { value: stream.remote.port, enumerable: true },
  });
  stream.onData((data) => {
    if (!ended) duplex.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  stream.onClose((error) => {
    ended = true;
    duplex.push(null);
    duplex.destroy(error);
  });
  return duplex;
}
