import type { Clock, Logger } from '@natkit/net';
import type { Introduction } from '@natkit/rendezvous';
import type { Identity } from '@natkit/identity';
import { HandshakeResponder } from '../session/handshake-responder.js';
import type { Session } from '../session/session.js';
import type { Route } from './path.js';
import type { PredictionShift } from './prediction-shift.js';

/** An introduction lets the peer's handshake in for this long. */
const INTRODUCTION_TTL_MS = 30_000;

export interface IntroductionsDeps {
  readonly identity: Identity;
  /** A connection id free for a new session. */
  readonly allocateId: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly send: (bytes: Uint8Array, route: Route) => void;
  /** Whether one more connection may be opened. */
  readonly canOpen: () => boolean;
  /** Opens the connection of an answered handshake (as the responder). */
  readonly open: (session: Session, intro: Introduction, route: Route, startedAt: number) => void;
}

interface Introduced {
  readonly intro: Introduction;
  readonly until: number;
  readonly shift?: Promise<PredictionShift | null>;
}

/**
 * The peers the rendezvous introduced us to, each for INTRODUCTION_TTL_MS: a handshake init from
 * one of them is answered and opens a connection (once per session); any other is dropped.
 */
export class Introductions {
  readonly #deps: IntroductionsDeps;
  readonly #introduced = new Map<string, Introduced>();
  readonly #responder: HandshakeResponder;
  /** Responder sessions a connection was opened for (a retransmitted init returns the same session). */
  readonly #openedSessions = new WeakSet<Session>();

  constructor(deps: IntroductionsDeps) {
    this.#deps = deps;
    this.#responder = new HandshakeResponder({ identity: deps.identity, allocateId: deps.allocateId });
  }

  /** Remembers `intro` (the latest per peer) from `now`, with the prediction shift sampled for it. */
  add(intro: Introduction, now: number, sampled: { readonly shift?: Promise<PredictionShift | null> }): void {
    for (const [id, i] of this.#introduced) if (i.until < now) this.#introduced.delete(id);
    this.#introduced.set(intro.peer.peerId, { intro, until: now + INTRODUCTION_TTL_MS, ...sampled });
  }

  /** The introductions still letting their peer in at `now`. */
  live(now: number): Introduction[] {
    return [...this.#introduced.values()].filter(({ until }) => until >= now).map(({ intro }) => intro);
  }

  /** The prediction shift sampled for `intro`, while it is its peer's latest introduction. */
  shiftOf(intro: Introduction): Promise<PredictionShift | null> | undefined {
    const entry = this.#introduced.get(intro.peer.peerId);
    return entry?.intro === intro ? entry.shift : undefined;
  }

  /** A handshake init arrived on `route`. */
  onInit(data: Uint8Array, route: Route): void {
    const { clock, logger } = this.#deps;
    const accepted = this.#responder.handleInit(data, clock.now());
    if (!accepted.ok) return;
    const { remotePeerId, session, response } = accepted.value;
    const introduced = this.#introduced.get(remotePeerId);
    if (introduced === undefined || introduced.until < clock.now()) {
      logger.debug('handshake from a peer without an introduction, dropped', { peer: remotePeerId });
      return;
    }
    this.#deps.send(response, route);
    // A retransmit opens the connection too when its first copy came before the introduction (the
    // responder remembered that init, but nobody opened its session); a session is opened once.
    if (this.#openedSessions.has(session) || !this.#deps.canOpen()) return;
    this.#openedSessions.add(session);
    this.#deps.open(session, introduced.intro, route, introduced.intro.receivedAt);
  }
}
