import { familyOf, portProblem, type Endpoint, type Family } from '@natkit/net';
import { StunServerError } from '../errors.js';

/** What a STUN server can do for RFC 5780 clients, by the addresses it has. */
export type ServerMode =
  /** One socket: no OTHER-ADDRESS, CHANGE-REQUEST gets 420 (RFC 5780 §6). */
  | 'single'
  /**
   * Two ports on one IP: change-port is honored (an extension: RFC 5780 §6 would answer every
   * CHANGE-REQUEST with 420 here), change-IP gets 420, no OTHER-ADDRESS (§6, §7.4).
   */
  | 'port-only'
  /** Two IPs x two ports: every RFC 5780 test (§6, §6.1 Table 1). */
  | 'full';

export interface AlternateOptions {
  /** The second IP address (same family as the primary). */
  readonly address?: string;
  /**
   * The second port. Default: primary port + 1, or an ephemeral one when the primary port is
   * ephemeral (0).
   */
  readonly port?: number;
}

/** A socket to bind, by its role: `ip` and `port` are 0 for primary, 1 for alternate. */
export interface PlannedSocket {
  readonly ip: 0 | 1;
  readonly port: 0 | 1;
  readonly address: string;
  /** 0: ephemeral, or "the port the socket of the same port role got" (see `samePortAs`). */
  readonly requestedPort: number;
  /** Index of an earlier planned socket whose bound port this one must reuse. */
  readonly samePortAs?: number;
}

export interface SocketPlan {
  readonly mode: ServerMode;
  readonly family: Family;
  /** In role order: [A:P] | [A:P, A:Q] | [A:P, A:Q, B:P, B:Q]; index = ip * 2 + port. */
  readonly sockets: readonly PlannedSocket[];
}

/**
 * Which sockets a server with these addresses needs. Pure; throws StunServerError
 * (`ERR_STUN_SERVER_CONFIG`) for addresses it cannot serve, `ERR_BAD_PORT` for a bad port.
 */
export function planSockets(primary: Endpoint, alternate?: AlternateOptions): SocketPlan {
  if (typeof primary !== 'object' || primary === null) throw config('primary must be { address, port }');
  const family = familyOf(primary.address);
  if (family === undefined) throw config(`primary address ${primary.address} is not an IP literal`);
  checkPort(primary.port, 'primary');
  const A = primary.address;
  const P = primary.port;
  if (alternate === undefined || (alternate.address === undefined && alternate.port === undefined)) {
    return { mode: 'single', family, sockets: [{ ip: 0, port: 0, address: A, requestedPort: P }] };
  }
  if (isWildcard(A)) throw config('an alternate needs an explicit primary address, not a wildcard');
  const Q = alternate.port ?? (P === 0 ? 0 : P + 1);
  checkPort(Q, 'alternate');
  if (Q !== 0 && Q === P) throw config(`alternate port ${Q} equals the primary port`);
  const portPair: PlannedSocket[] = [
    { ip: 0, port: 0, address: A, requestedPort: P },
    { ip: 0, port: 1, address: A, requestedPort: Q },
  ];
  const B = alternate.address;
  if (B === undefined) return { mode: 'port-only', family, sockets: portPair };
  if (familyOf(B) !== family) throw config(`alternate address ${B} is not an IPv${family} literal`);
  if (isWildcard(B) || B === A) throw config(`alternate address ${B} must be another explicit address`);
  return {
    mode: 'full',
    family,
    sockets: [
      ...portPair,
      { ip: 1, port: 0, address: B, requestedPort: P, samePortAs: 0 },
      { ip: 1, port: 1, address: B, requestedPort: Q, samePortAs: 1 },
    ],
  };
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || /^[0:]+$/.test(address);
}

function checkPort(port: number, what: string): void {
  const problem = portProblem(port, true);
  if (problem !== undefined) throw new StunServerError('ERR_BAD_PORT', `${what} ${problem}`);
}

function config(message: string): StunServerError {
  return new StunServerError('ERR_STUN_SERVER_CONFIG', message);
}
