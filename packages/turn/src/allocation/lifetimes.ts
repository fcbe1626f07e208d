/** Allocation lifetime when the client asks for none, and the longest granted. RFC 8656 §7.2 */
export const DEFAULT_ALLOCATION_LIFETIME_S = 600;
export const MAX_ALLOCATION_LIFETIME_S = 3600;
/** Permission lifetime (fixed). RFC 8656 §9 */
export const PERMISSION_LIFETIME_S = 300;
/** Channel binding lifetime. RFC 8656 §12 */
export const CHANNEL_LIFETIME_S = 600;
/** After a binding expires, neither its number nor its peer may be rebound otherwise for this long. RFC 8656 §12 */
export const CHANNEL_COOLDOWN_S = 300;
/** How long an EVEN-PORT R=1 reservation is held. RFC 8656 §7.2 ("about 30 seconds") */
export const RESERVATION_LIFETIME_S = 30;
/** How long a response is kept to answer a retransmitted request. RFC 8489 §6.3.1 (40 s over UDP) */
export const RESPONSE_CACHE_S = 40;

/**
 * The lifetime granted for a requested one (seconds): the default when absent, requests below
 * the default raised to it, capped at `max`; 0 stays 0 (Refresh deletes). RFC 8656 §7.2, §8
 */
export function grantLifetime(requested: number | undefined, max: number, allowZero: boolean): number {
  if (requested === undefined) return Math.min(DEFAULT_ALLOCATION_LIFETIME_S, max);
  if (requested === 0 && allowZero) return 0;
  return Math.min(Math.max(requested, DEFAULT_ALLOCATION_LIFETIME_S), max);
}
