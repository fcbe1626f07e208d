import type { Clock, Endpoint, Timer, UdpSocket } from '@natkit/net';

/** What a finder is given: where the peer may be reached, when to fire, how to send one probe. */
export interface DirectAttempt {
  /** Addresses tied to the peer by the rendezvous (see `directTargets`). */
  readonly targets: readonly Endpoint[];
  /** When (on the clock) the first probe leaves: the rendezvous' RTT-timed fire time. */
  readonly fireAt: number;
  /**
   * Sends one authenticated probe (a session packet) to `to`, from our UDP socket or from
   * `socket` (a socket the punch opened and handed to the connection); its answer validates the path.
   */
  readonly sendProbe: (to: Endpoint, socket?: UdpSocket) => void;
}

/**
 * The seam where hole punching plugs in: a finder sends probes, the connection validates the
 * path when a probe's answer comes back. `simultaneousOpen` is the simple one of this slice; the
 * punch engine (@natkit/punch: port prediction, birthday) replaces it behind this interface.
 */
export interface DirectPathFinder {
  readonly strategy: string;
  /** Why this strategy (the punch planner's reason), for logs and the CLI. */
  readonly reason?: string;
  /** The longest one start() sends from the fire time (all its attempts): no re-probe cuts it short. */
  readonly maxDurationMs?: number;
  /** Starts an attempt; returns a function that stops it (idempotent). */
  start(attempt: DirectAttempt, clock: Clock): () => void;
}

export interface SimultaneousOpenOptions {
  /** Probe rounds (each sends one probe to every target); default 25. */
  readonly rounds?: number;
  /** Time between rounds, ms; default 100 (a bounded 2.5 s attempt). */
  readonly intervalMs?: number;
}

/** Both sides probe each other's addresses at the fire time: enough when either side maps per endpoint (EIM). */
export function simultaneousOpen(options: SimultaneousOpenOptions = {}): DirectPathFinder {
  const rounds = Math.max(1, Math.min(options.rounds ?? 25, 1000));
  const intervalMs = Math.max(10, options.intervalMs ?? 100);
  return {
    strategy: 'simultaneous-open',
    start(attempt, clock) {
      let sent = 0;
      let timer: Timer | null = null;
      const round = (): void => {
        for (const to of attempt.targets) attempt.sendProbe(to);
        if (++sent < rounds) timer = clock.setTimeout(round, intervalMs);
      };
      if (attempt.targets.length > 0) timer = clock.setTimeout(round, Math.max(0, attempt.fireAt - clock.now()));
      return () => timer?.cancel();
    },
  };
}
