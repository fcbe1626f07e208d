import { familyOf, type Endpoint, type Family, type UdpSocket } from '@natkit/net';
import type { RendezvousClient, WireEndpoint } from '@natkit/rendezvous';
import type { NatSource } from './nat-measurement.js';
import { remeasureSecondFamily, verifySecondFamily, type SecondFamily, type SecondFamilyDeps } from './second-family.js';

export interface SecondFamilySocketDeps {
  /** PeerOptions.server6: no re-measurement without it. */
  readonly server6: Endpoint | undefined;
  readonly nat: NatSource;
  readonly rendezvous: RendezvousClient;
  /** Packets that arrive on the second socket. */
  readonly onMessage: (data: Uint8Array, from: Endpoint) => void;
  readonly isClosed: () => boolean;
}

/**
 * A peer's second-family socket (PeerOptions.server6), when it has one, and our address of it
 * the rendezvous verified: listened to while held, re-measured (reopened or dropped) and
 * verified again on a NAT refresh.
 */
export class SecondFamilySocket {
  readonly #deps: SecondFamilySocketDeps;
  #current: SecondFamily | null;
  #verified: WireEndpoint | null;
  #off: () => void = () => {};
  /** The running re-measurement (refresh), joined by a refresh meanwhile. */
  #refresh: Promise<void> | null = null;

  constructor(current: SecondFamily | null, verified: WireEndpoint | null, deps: SecondFamilySocketDeps) {
    this.#deps = deps;
    this.#current = current;
    this.#verified = verified;
    if (current !== null) this.#listen(current);
  }

  get current(): SecondFamily | null {
    return this.#current;
  }

  /** Our address of the second family as the rendezvous verified it (null when it did not). */
  get verified(): WireEndpoint | null {
    return this.#verified;
  }

  /** Our socket of `to`'s family: the second one for its family, else `main`. */
  socketFor(to: Endpoint, main: UdpSocket): UdpSocket {
    const second = this.#current;
    return second !== null && familyOf(to.address) === second.family ? second.socket : main;
  }

  /** Our local address of `to`'s family: the second socket's for its family, else `main`. */
  localFor(to: Endpoint, main: Endpoint): Endpoint {
    const second = this.#current;
    return second !== null && familyOf(to.address) === second.family ? second.local : main;
  }

  /** Our sockets, one per family: `main`, and the second one when held. */
  withMain(main: UdpSocket): UdpSocket | UdpSocket[] {
    return this.#current === null ? main : [main, this.#current.socket];
  }

  /** Families we can send direct probes over: `main`'s, and the second one when held. */
  families(main: Family): Family[] {
    return [main, ...(this.#current === null ? [] : [this.#current.family])];
  }

  /** The rendezvous verified our address of `family`. */
  onVerified(family: Family, observed: WireEndpoint): void {
    if (this.#current !== null && family === this.#current.family) this.#verified = observed;
  }

  /** The second family re-measured, reopened or dropped, and verified again; one at a time (a call meanwhile joins it). */
  refresh(deps: SecondFamilyDeps): Promise<void> {
    const server6 = this.#deps.server6;
    if (server6 === undefined) return Promise.resolve();
    this.#refresh ??= this.#remeasure(server6, deps).finally(() => {
      this.#refresh = null;
    });
    return this.#refresh;
  }

  stopListening(): void {
    this.#off();
  }

  async close(): Promise<void> {
    await this.#current?.socket.close();
  }

  async #remeasure(server6: Endpoint, deps: SecondFamilyDeps): Promise<void> {
    const old = this.#current;
    const next = await remeasureSecondFamily(old, server6, this.#deps.nat, deps);
    const moved = next?.socket !== old?.socket;
    if (this.#deps.isClosed()) {
      if (moved) await next?.socket.close();
      return;
    }
    this.#current = next;
    if (moved) {
      this.#verified = null; // the old socket's address: not ours any more
      this.#off();
      this.#off = () => {};
      if (next !== null) this.#listen(next);
      await old?.socket.close();
    }
    // Gone: the update without its candidates unbinds the address at the rendezvous too.
    const verified = next === null ? null : await verifySecondFamily(next, this.#deps.rendezvous, deps);
    if (!this.#deps.isClosed() && this.#current === next) this.#verified = verified ?? (moved ? null : this.#verified);
  }

  #listen(second: SecondFamily): void {
    this.#off = second.socket.onMessage((data, from) => this.#deps.onMessage(data, from));
  }
}
