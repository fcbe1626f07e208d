import type { NatProfile } from './types.js';

/**
 * What a side's NAT means for punching:
 * - 'eim': one public port per socket (RFC 4787 §4.1 endpoint-independent mapping), known from STUN;
 * - 'predictable': a new port per destination, but preserved or sequential (a step), so guessable;
 * - 'random': a new, random port per destination;
 * - 'unknown': the diagnosis could not tell.
 */
export type SideKind = 'eim' | 'predictable' | 'random' | 'unknown';

export function classifySide(profile: NatProfile): SideKind {
  if (profile.mapping === 'endpoint-independent') return 'eim';
  if (profile.mapping === 'unknown') return 'unknown';
  if (profile.allocation === 'preserving') return 'predictable';
  if (profile.allocation === 'sequential' && profile.delta !== null && profile.delta !== 0) return 'predictable';
  if (profile.allocation === 'random') return 'random';
  return 'unknown';
}

/** The step between a predictable NAT's allocations: the measured delta, 1 when it preserves ports. */
export function allocationStep(profile: NatProfile): number {
  return profile.allocation === 'sequential' && profile.delta !== null && profile.delta !== 0 ? profile.delta : 1;
}

/** Whether a side's filter lets in a peer whose port it has not sent to (EIF or ADF, RFC 4787 §5). */
export function admitsUnknownPort(profile: NatProfile): boolean {
  return profile.filtering === 'endpoint-independent' || profile.filtering === 'address-dependent';
}
