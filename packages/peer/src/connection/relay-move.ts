import { randomInt } from 'node:crypto';
import { isSameEndpoint, type Clock, type Endpoint, type Timer } from '@natkit/net';
import type { ControlMessage } from './control-message.js';
import { sameRoute, type Route } from './path.js';

/** A relay-moved message is repeated this often until acknowledged, at most this many times (5 s). */
const ANNOUNCE_INTERVAL_MS = 250;
const MAX_ANNOUNCES = 20;
/** The peer's relayed addresses remembered per connection (the old ones still tell its relayed packets apart). */
const MAX_PEER_RELAYS = 4;

/**
 * Tells the peer our new relayed address after a re-allocation: an authenticated `relay-moved`
 * on every route that may still reach it (see ConnectionRelay.ourRelayChanged), repeated until
 * it answers with the same nonce, at most MAX_ANNOUNCES times. A newer announcement replaces the
 * running one.
 */
export class RelayAnnouncer {
  #nonce: number | null = null;
  #timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly send: (message: ControlMessage, route: Route) => void,
  ) {}

  start(relayed: Endpoint, routes: () => readonly Route[]): void {
    this.stop();
    const nonce = randomInt(0, 2 ** 32);
    this.#nonce = nonce;
    let left = MAX_ANNOUNCES;
    const tick = (): void => {
      for (const route of routes()) this.send({ type: 'relay-moved', nonce, relayed }, route);
      this.#timer = --left > 0 ? this.clock.setTimeout(tick, ANNOUNCE_INTERVAL_MS) : null;
    };
    tick();
  }

  /** True (and the announcing stops) when `nonce` answers the running announcement. */
  acked(nonce: number): boolean {
    if (this.#nonce === null || nonce !== this.#nonce) return false;
    this.stop();
    return true;
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#nonce = null;
  }
}

/**
 * The peer announced a new relayed address: remember it (the most recent MAX_PEER_RELAYS), and
 * when our relay route went to one of its old relayed addresses, send there instead (by the same
 * way: from our socket, or through our allocation). Pure.
 */
export function followRelayMove(relayRoute: Route | null, peerRelays: readonly Endpoint[], moved: Endpoint): { relayRoute: Route | null; peerRelays: Endpoint[] } {
  const relays = [...peerRelays.filter((r) => !isSameEndpoint(r, moved)), moved].slice(-MAX_PEER_RELAYS);
  const toOld = relayRoute !== null && !isSameEndpoint(relayRoute.to, moved) && peerRelays.some((r) => isSameEndpoint(r, relayRoute.to));
  return { relayRoute: toOld ? { via: relayRoute.via, to: moved } : relayRoute, peerRelays: relays };
}

/** Distinct routes, in order, without nulls. */
export function distinctRoutes(routes: readonly (Route | null)[]): Route[] {
  const out: Route[] = [];
  for (const r of routes) if (r !== null && !out.some((o) => sameRoute(o, r))) out.push(r);
  return out;
}
