/** Counters of a rendezvous server; refusals by error code. */
export interface RendezvousServerStats {
  readonly connections: number;
  readonly registered: number;
  readonly accepted: number;
  readonly registrations: number;
  readonly introductions: number;
  readonly messages: number;
  /** UDP addresses bound to peers by an address token. */
  readonly addressesVerified: number;
  /** Address tokens refused, by reason (unknown, expired, wrong-family, wrong-peer, no-session). */
  readonly addressTokensRefused: Readonly<Record<string, number>>;
  readonly refused: Readonly<Record<string, number>>;
  /** Connections closed by reason: slow-reader, heartbeat-timeout, registration-timeout, superseded. */
  readonly closed: Readonly<Record<string, number>>;
}

export class ServerCounters {
  accepted = 0;
  registrations = 0;
  introductions = 0;
  messages = 0;
  addressesVerified = 0;
  readonly tokensRefused = new Map<string, number>();
  readonly refused = new Map<string, number>();
  readonly closed = new Map<string, number>();

  refuse(code: string): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  close(reason: string): void {
    this.closed.set(reason, (this.closed.get(reason) ?? 0) + 1);
  }

  snapshot(connections: number, registered: number): RendezvousServerStats {
    return {
      connections,
      registered,
      accepted: this.accepted,
      registrations: this.registrations,
      introductions: this.introductions,
      messages: this.messages,
      addressesVerified: this.addressesVerified,
      addressTokensRefused: Object.fromEntries(this.tokensRefused),
      refused: Object.fromEntries(this.refused),
      closed: Object.fromEntries(this.closed),
    };
  }
}
