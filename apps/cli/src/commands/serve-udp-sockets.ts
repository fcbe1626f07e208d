import type { UdpSocket } from '@natkit/net';

/**
 * The UDP sockets `natkit serve`'s STUN servers bind (both families, and those a wildcard server
 * opens later), kept so that the rendezvous, created after them, watches each for address tokens
 * (RendezvousServer.attachUdpSocket) from the moment it exists.
 */
export class ServeUdpSockets {
  readonly #sockets = new Map<UdpSocket, (() => void) | null>();
  #watch: ((socket: UdpSocket) => () => void) | null = null;

  /** A socket was bound; returns its detacher (called when it closes). */
  bound(socket: UdpSocket): () => void {
    this.#sockets.set(socket, this.#watch?.(socket) ?? null);
    return () => {
      this.#sockets.get(socket)?.();
      this.#sockets.delete(socket);
    };
  }

  /** Hands every socket, present and future, to `watch`. */
  watchWith(watch: (socket: UdpSocket) => () => void): void {
    this.#watch = watch;
    for (const [socket, detach] of this.#sockets) if (detach === null) this.#sockets.set(socket, watch(socket));
  }
}
