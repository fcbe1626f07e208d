import { randomBytes } from 'node:crypto';
import { familyOf, type LogLevel } from '@natkit/net';
import { StunError, type AlternateOptions, type StunServerOptions } from '@natkit/stun';
import type { TurnServerOptions } from '@natkit/turn';
import { parseRelayFlags, type RelayServeFlags } from './serve-relay.js';
import { parseTlsFlags, type StreamServeFlags } from './serve-streams.js';
import { parseWorkers } from './worker-plan.js';

export interface ServeFlags extends RelayServeFlags, StreamServeFlags {
  readonly address?: string;
  readonly alternateAddress?: string;
  readonly address6?: string;
  readonly alternateAddress6?: string;
  readonly port?: string;
  readonly alternatePort?: string;
  readonly logLevel?: string;
  readonly otherAddress?: string;
  readonly advertiseAddress?: string;
  readonly advertiseAlternateAddress?: string;
  readonly workers?: string;
  readonly workerPort?: string;
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

function parsePort(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new StunError('ERR_USAGE', `${name} takes a port from 0 to 65535, not '${v}'`);
  return n;
}

function parseAddress(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (familyOf(v) === undefined) throw new StunError('ERR_USAGE', `${name} takes an IP address literal, not '${v}'`);
  return v;
}

/** `natkit serve`'s flags, checked. */
export interface ServeOptions {
  readonly level: LogLevel;
  readonly address: string;
  /** --address is 0.0.0.0 or ::, as it is by default. */
  readonly wildcard: boolean;
  readonly address6: string | undefined;
  readonly alternateAddress6: string | undefined;
  readonly port: number;
  readonly alternatePort: number;
  readonly alternate: AlternateOptions | undefined;
  readonly otherAddressOnAlternate: 'rfc5780' | 'coturn';
  readonly advertised: NonNullable<StunServerOptions['advertised']>;
  readonly advertisedPrimary: string | undefined;
  /** Undefined: --no-relay. With workers, the shared self-issued secret is in here. */
  readonly relayOptions: TurnServerOptions | undefined;
  readonly workers: number;
  readonly workerBase: number | undefined;
  readonly tlsFlags: ReturnType<typeof parseTlsFlags>;
}

/** Checks the flags; throws StunError ERR_USAGE on the first one that is wrong. */
export function parseServeFlags(flags: ServeFlags): ServeOptions {
  const level = (flags.logLevel ?? 'info') as LogLevel;
  if (!LEVELS.includes(level)) throw new StunError('ERR_USAGE', `--log-level takes one of ${LEVELS.join(', ')}`);
  const address = parseAddress(flags.address, '--address') ?? '0.0.0.0';
  const wildcard = /^[0.:]+$/.test(address);
  const alternateAddress = parseAddress(flags.alternateAddress, '--alternate-address');
  const address6 = parseAddress(flags.address6, '--address6');
  const alternateAddress6 = parseAddress(flags.alternateAddress6, '--alternate-address6');
  if (address6 !== undefined && (familyOf(address6) !== 6 || familyOf(address) !== 4)) throw new StunError('ERR_USAGE', '--address6 takes an IPv6 address, next to an IPv4 --address');
  if (alternateAddress6 !== undefined && (address6 === undefined || familyOf(alternateAddress6) !== 6)) throw new StunError('ERR_USAGE', '--alternate-address6 takes an IPv6 address, with --address6');
  const port = parsePort(flags.port, '--port', 3478);
  const alternatePort = parsePort(flags.alternatePort, '--alternate-port', port === 0 ? 0 : port + 1);
  const alternate =
    alternateAddress !== undefined
      ? { address: alternateAddress, port: alternatePort }
      : flags.alternatePort !== undefined
        ? { port: alternatePort }
        : undefined;
  const otherAddressOnAlternate = flags.otherAddress ?? 'rfc5780';
  if (otherAddressOnAlternate !== 'rfc5780' && otherAddressOnAlternate !== 'coturn') {
    throw new StunError('ERR_USAGE', `--other-address takes rfc5780 or coturn, not '${otherAddressOnAlternate}'`);
  }
  const advertisedPrimary = parseAddress(flags.advertiseAddress, '--advertise-address');
  const advertisedAlternate = parseAddress(flags.advertiseAlternateAddress, '--advertise-alternate-address');
  const advertised = {
    ...(advertisedPrimary === undefined ? {} : { primary: advertisedPrimary }),
    ...(advertisedAlternate === undefined ? {} : { alternate: advertisedAlternate }),
  };
  let relayOptions = parseRelayFlags(flags);
  const workers = parseWorkers(flags.workers);
  const workerBase = flags.workerPort === undefined ? undefined : parsePort(flags.workerPort, '--worker-port', 0);
  if (workers > 1 && relayOptions === undefined) throw new StunError('ERR_USAGE', '--workers runs TURN relay workers: not with --no-relay');
  if (workers === 1 && flags.workerPort !== undefined) throw new StunError('ERR_USAGE', '--worker-port needs --workers N (N > 1)');
  // Workers accept the credentials the primary issues itself: one self-issued secret for all,
  // and the primary hands them each name it mints (USERHASH finds it at any worker).
  if (workers > 1 && relayOptions !== undefined) relayOptions = { ...relayOptions, selfIssuedSecret: randomBytes(32).toString('base64url'), issuedNamesShared: true };
  const tlsFlags = parseTlsFlags(flags, parsePort);
  if (relayOptions === undefined && tlsFlags.tls !== undefined) throw new StunError('ERR_USAGE', '--tls-cert/--tls-key serve TURN over TLS: not with --no-relay');
  return { level, address, wildcard, address6, alternateAddress6, port, alternatePort, alternate, otherAddressOnAlternate, advertised, advertisedPrimary, relayOptions, workers, workerBase, tlsFlags };
}
