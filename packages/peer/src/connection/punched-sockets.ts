import type { UdpSocket } from '@natkit/net';
import type { Route } from './path.js';

/**
 * Sockets a punch won on (birthday extra sockets), per connection: their datagrams go to the
 * peer's receive path with a route that names the socket, and they close with the connection.
 * Also the one-at-a-time slot of attempts that open extra sockets (research note §5.5).
 */
export class PunchedSockets {
  readonly #byConnection = new Map<number, { socket: UdpSocket; remove: () => void }[]>();
  #attempts = 0;

  constructor(private readonly receive: (data: Uint8Array, route: Route) => void) {}

  /** Takes `socket` for connection `localId`; closes it at once when the connection is gone (`alive` false). */
  adopt(localId: number, socket: UdpSocket, alive: boolean): void {
    if (!alive) {
      void socket.close();
      return;
    }
    const remove = socket.onMessage((data, from) => this.receive(data, { via: 'socket', to: from, socket }));
    const list = this.#byConnection.get(localId) ?? [];
    list.push({ socket, remove });
    this.#byConnection.set(localId, list);
  }

  /** Closes the sockets of connection `localId`. */
  release(localId: number): void {
    for (const a of this.#byConnection.get(localId) ?? []) {
      a.remove();
      void a.socket.close();
    }
    this.#byConnection.delete(localId);
  }

  /** The slot for an attempt with extra sockets: its release function, or null while one runs. */
  admit(): (() => void) | null {
    if (this.#attempts >= 1) return null;
    this.#attempts++;
    let released = false;
    return () => {
      if (!released) this.#attempts--;
      released = true;
    };
  }
}
