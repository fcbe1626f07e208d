import { familyOf, normalizeAddress, type Endpoint, type Family } from './endpoint.js';
import { NetworkError } from './errors.js';

/**
 * Stable codes of bad input, shared by every natkit package: each throws its own error class
 * (`NetworkError`, `StunError`, ...) with one of these codes, so callers test `error.code`.
 */
export type InputErrorCode =
  /** A port that is not an integer in 1-65535 (or 0 where "any free port" is meant). */
  | 'ERR_BAD_PORT'
  /** An address that is not an IP literal of the expected family. */
  | 'ERR_BAD_ADDRESS'
  /** A server that cannot be used: malformed, a host name where an IP literal is needed, too many. */
  | 'ERR_BAD_SERVER'
  /** Any other option out of its range or of the wrong type (NaN, Infinity, negative times...). */
  | 'ERR_BAD_OPTION';

/**
 * Why `value` is not a UDP port, or undefined when it is one: an integer in 1-65535, or 0 too
 * when `allowZero` (binding: "any free port").
 */
export function portProblem(value: unknown, allowZero = false): string | undefined {
  const min = allowZero ? 0 : 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535) {
    return `port must be an integer in ${min}-65535, not ${describeValue(value)}`;
  }
  return undefined;
}

/** Bounds of a numeric option. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** Only whole numbers. */
  readonly integer?: boolean;
}

/** Why `value` is not a finite number within `range`, or undefined when it is. */
export function numberProblem(value: unknown, range: NumberRange): string | undefined {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (range.integer !== true || Number.isInteger(value));
  if (ok) return undefined;
  return `must be ${range.integer === true ? 'an integer' : 'a number'} in ${range.min}-${range.max}, not ${describeValue(value)}`;
}

/** A short, safe rendering of an option value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The contract of `UdpSocket.send`'s destination, the same on every `Network`: an IP literal of
 * the socket's family (no host names: resolving is the caller's business) and a port in
 * 1-65535. Returns the error to report (`ERR_BAD_ADDRESS` / `ERR_BAD_PORT`), or undefined.
 */
export function sendTargetError(to: Endpoint, family: Family): NetworkError | undefined {
  const address: unknown = (to as { address?: unknown } | undefined)?.address;
  const toFamily = typeof address === 'string' ? familyOf(address) : undefined;
  if (toFamily === undefined) {
    return new NetworkError('ERR_BAD_ADDRESS', `cannot send to ${describeValue(address)}: not an IP literal (resolve host names first)`);
  }
  if (toFamily !== family) {
    return new NetworkError('ERR_BAD_ADDRESS', `cannot send to IPv${toFamily} address ${String(address)} from an IPv${family} socket`);
  }
  if (toFamily === 6 && isIpv4Mapped(address as string)) {
    return new NetworkError('ERR_BAD_ADDRESS', `cannot send to ${String(address)}: an IPv4-mapped address, which IPv6 sockets (IPv6-only) never reach; use an IPv4 socket`);
  }
  const bad = portProblem((to as { port?: unknown }).port);
  return bad === undefined ? undefined : new NetworkError('ERR_BAD_PORT', `cannot send to ${String(address)}: ${bad}`);
}

/** `::ffff:a.b.c.d` or `::ffff:h:h` (RFC 4291 §2.5.5.2), in any spelling. */
function isIpv4Mapped(address: string): boolean {
  if (!address.toLowerCase().includes('ffff')) return false; // the common case, without parsing
  const n = normalizeAddress(address);
  return familyOf(n) === 4 || /^::ffff:(\d{1,3}(\.\d{1,3}){3}|[0-9a-f]{1,4}:[0-9a-f]{1,4})$/.test(n);
}

/**
 * Checks `Network.bindUdp` options, the same on every `Network`; throws `NetworkError` with
 * `ERR_BAD_OPTION` (family), `ERR_BAD_PORT` or `ERR_BAD_ADDRESS`.
 */
export function checkBindOptions(options: { readonly family: Family; readonly address?: string; readonly port?: number; readonly connect?: Endpoint }): void {
  const family: unknown = options.family;
  if (family !== 4 && family !== 6) throw new NetworkError('ERR_BAD_OPTION', `family must be 4 or 6, not ${describeValue(family)}`);
  if (options.address !== undefined && familyOf(options.address) !== family) {
    throw new NetworkError('ERR_BAD_ADDRESS', `${describeValue(options.address)} is not an IPv${family} address`);
  }
  if (options.port !== undefined) {
    const bad = portProblem(options.port, true);
    if (bad !== undefined) throw new NetworkError('ERR_BAD_PORT', `cannot bind: ${bad}`);
  }
  if (options.connect !== undefined) {
    const error = sendTargetError(options.connect, family);
    if (error !== undefined) throw error;
  }
}
