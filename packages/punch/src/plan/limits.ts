import { PunchError } from '../errors.js';
import type { PunchLimits } from './types.js';

/**
 * Defaults: 256 sockets and about 1,200 probes at 100 per second for a 99% birthday attempt
 * (research note §2.4 and §5.5: hyperdht opens 256 sockets; 100 pps is Tailscale's figure),
 * 16 predicted ports (n2n sprays 16), and every attempt over within 20 s.
 */
export const DEFAULT_PUNCH_LIMITS: PunchLimits = {
  maxSockets: 256,
  maxProbes: 6_000,
  maxRatePps: 600,
  maxDurationMs: 20_000,
  predictionWindow: 16,
  birthdayTarget: 0.99,
  portRange: [1024, 65535],
};

/** Hard ceilings that no option lifts. */
export const PUNCH_LIMIT_CEILINGS: PunchLimits = {
  maxSockets: 1024,
  maxProbes: 50_000,
  maxRatePps: 2_000,
  maxDurationMs: 120_000,
  predictionWindow: 256,
  birthdayTarget: 0.9999,
  portRange: [1, 65535],
};

/** Fills in defaults; a value that is not a finite number within its ceiling is refused. */
export function resolveLimits(partial: Partial<PunchLimits> = {}): PunchLimits {
  const l: PunchLimits = { ...DEFAULT_PUNCH_LIMITS, ...partial };
  const check = (name: keyof PunchLimits, value: number, min: number, max: number, integer: boolean): void => {
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new PunchError('ERR_PUNCH_OPTION', `punch limit ${name} must be ${integer ? 'an integer ' : ''}in ${min}-${max}, got ${value}`);
    }
  };
  check('maxSockets', l.maxSockets, 0, PUNCH_LIMIT_CEILINGS.maxSockets, true);
  check('maxProbes', l.maxProbes, 1, PUNCH_LIMIT_CEILINGS.maxProbes, true);
  check('maxRatePps', l.maxRatePps, 1, PUNCH_LIMIT_CEILINGS.maxRatePps, false);
  check('maxDurationMs', l.maxDurationMs, 100, PUNCH_LIMIT_CEILINGS.maxDurationMs, false);
  check('predictionWindow', l.predictionWindow, 1, PUNCH_LIMIT_CEILINGS.predictionWindow, true);
  check('birthdayTarget', l.birthdayTarget, 0.01, PUNCH_LIMIT_CEILINGS.birthdayTarget, false);
  const [lo, hi] = l.portRange;
  check('portRange', lo, 1, 65535, true);
  check('portRange', hi, lo, 65535, true);
  return l;
}
