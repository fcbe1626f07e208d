import { formatEndpoint, type Clock, type Endpoint, type Family, type Logger, type Network } from '@natkit/net';
import type { Candidate, Introduction } from '@natkit/rendezvous';
import { isPredictable, latestMapping, type NatMeasurement } from './nat-measurement.js';
import { samplePredictionShift, type PredictionShift } from './prediction-shift.js';

export interface PredictionBaseDeps {
  /** Our natkit server (STUN) and our main socket's family. */
  readonly server: Endpoint;
  readonly family: Family;
  readonly network: Network;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The NAT measurement and candidates we registered (they change as bases are announced). */
  readonly nat: () => NatMeasurement;
  readonly candidates: () => readonly Candidate[];
  /** Whether our own punch plans are used (direct path on, UDP works, no fixed finder). */
  readonly plansPunches: () => boolean;
  readonly isClosed: () => boolean;
  /** Announces `base` as our server-reflexive address at the rendezvous. */
  readonly announce: (base: Endpoint) => void;
}

/**
 * The base the peers predict our ports from on a predictable (sequential) NAT: sampled again
 * before a connect, on an introduction as the responder and after a punch, and announced when it
 * moved past the registered one (other sockets behind our NAT take ports meanwhile).
 */
export class PredictionBase {
  readonly #deps: PredictionBaseDeps;

  constructor(deps: PredictionBaseDeps) {
    this.#deps = deps;
  }

  /**
   * As the responder on a predictable NAT: our latest allocation now, and how far it moved since
   * the base the peer got (see samplePredictionShift); the sample is announced as the new base.
   */
  sampleShift(intro: Introduction): { shift?: Promise<PredictionShift | null> } {
    const d = this.#deps;
    if (intro.role !== 'responder' || !d.plansPunches() || !isPredictable(d.nat().nat)) return {};
    const deps = { network: d.network, clock: d.clock, logger: d.logger };
    const shift = samplePredictionShift(d.server, d.family, d.nat().nat, d.candidates(), deps).catch((e: unknown) => {
      d.logger.debug('prediction base not sampled', { error: String(e) });
      return null;
    });
    void shift.then((s) => {
      if (s !== null) d.announce(s.base);
    });
    return { shift };
  }

  /**
   * As the initiator on a predictable NAT: our latest allocation now, announced (`update`) before
   * the `connect`, so that the introduction carries it and the peer predicts our ports from it,
   * not from a base that other sockets behind our NAT moved past since we registered (the
   * rendezvous handles one connection's messages in order). A failed sample keeps the old base.
   */
  async freshen(): Promise<void> {
    const d = this.#deps;
    if (!d.plansPunches() || !isPredictable(d.nat().nat)) return;
    const deps = { network: d.network, clock: d.clock, logger: d.logger };
    const base = await latestMapping(d.server, d.family, deps).catch((e: unknown) => {
      d.logger.debug('prediction base not sampled', { error: String(e) });
      return null;
    });
    const announced = d.nat().srflx;
    if (base === null || (announced !== null && announced.address === base.address && announced.port === base.port)) return;
    d.logger.debug('prediction base moved since announced: announcing the latest', { was: announced === null ? 'none' : formatEndpoint(announced), now: formatEndpoint(base) });
    d.announce(base);
  }

  /**
   * On a predictable (sequential) NAT a punch used up ports past the registered srflx: announce
   * the latest allocation as the new base, so the next pair's port predictions start right.
   */
  afterPunch(): void {
    const d = this.#deps;
    if (d.isClosed() || !isPredictable(d.nat().nat)) return;
    const deps = { network: d.network, clock: d.clock, logger: d.logger };
    void latestMapping(d.server, d.family, deps).then((base) => {
      if (base !== null) d.announce(base);
    }, (e: unknown) => d.logger.debug('prediction base not refreshed', { error: String(e) }));
  }
}
