import { lookup } from 'node:dns/promises';
import { createNodeNetwork, familyOf, parseHostPort, systemClock, type Endpoint } from '@natkit/net';
import { checkRelay, restCredentials, type LongTermCredentials, type RelayCheckReport, type TurnTransport } from '@natkit/turn';
import { ExitCode } from '../exit-codes.js';
import { renderRelayCheck } from '../render/relay-check-text.js';
import { VERSION } from '../version.js';
import type { Io } from './diagnose.js';

export interface RelayCheckFlags {
  readonly server?: string;
  readonly user?: string;
  readonly authSecret?: string;
  readonly transport?: string;
  readonly json?: boolean;
  readonly insecure?: boolean;
}

class UsageError extends Error {}

/** The user name put after the expiry in REST credentials made from `--auth-secret`. */
const REST_USER = 'natkit-relay-check';

function parseCredentials(flags: RelayCheckFlags): LongTermCredentials {
  if ((flags.user === undefined) === (flags.authSecret === undefined)) {
    throw new UsageError('give exactly one of --user NAME:PASS or --auth-secret SECRET');
  }
  if (flags.authSecret !== undefined) {
    if (flags.authSecret.length === 0) throw new UsageError('--auth-secret is empty');
    return restCredentials({ secret: flags.authSecret, user: REST_USER, nowSeconds: Date.now() / 1000, ttlSeconds: 3600 });
  }
  const text = flags.user ?? '';
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new UsageError('--user takes NAME:PASS (split at the first colon)');
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function parseTransport(v: string | undefined): TurnTransport {
  if (v === undefined) return 'udp';
  if (v === 'udp' || v === 'tcp' || v === 'tls') return v;
  throw new UsageError(`--transport takes udp, tcp or tls, not '${v}'`);
}

async function resolveServer(text: string | undefined, transport: TurnTransport): Promise<Endpoint> {
  if (text === undefined) throw new UsageError('--server HOST[:PORT] is required');
  const parsed = parseHostPort(text, transport === 'tls' ? 5349 : 3478);
  if (!parsed.ok) throw new UsageError(`bad server '${text}': ${parsed.reason}`);
  if (familyOf(parsed.host) !== undefined) return { address: parsed.host, port: parsed.port };
  try {
    const { address } = await lookup(parsed.host);
    return { address, port: parsed.port };
  } catch {
    throw new UsageError(`cannot resolve '${parsed.host}'`);
  }
}

/** `natkit relay-check`: diagnoses a TURN server; returns the exit code. */
export async function runRelayCheck(flags: RelayCheckFlags, io: Io, signal?: AbortSignal): Promise<number> {
  let transport: TurnTransport;
  let credentials: LongTermCredentials;
  let server: Endpoint;
  let hostname: string | undefined;
  try {
    transport = parseTransport(flags.transport);
    credentials = parseCredentials(flags);
    server = await resolveServer(flags.server, transport);
    const host = flags.server === undefined ? undefined : parseHostPort(flags.server, 0);
    hostname = host?.ok === true && familyOf(host.host) === undefined ? host.host : undefined;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`natkit relay-check: ${e.message}\n`);
    return ExitCode.Usage;
  }
  const report: RelayCheckReport = await checkRelay(
    {
      server,
      credentials,
      transport,
      software: `natkit relay-check ${VERSION}`,
      ...(transport === 'tls' ? { tls: { insecure: flags.insecure === true, ...(hostname === undefined ? {} : { servername: hostname }) } } : {}),
      ...(signal === undefined ? {} : { signal }),
    },
    { network: createNodeNetwork(), clock: systemClock },
  );
  io.stdout(flags.json === true ? `${JSON.stringify({ schemaVersion: 1, ...report }, null, 2)}\n` : renderRelayCheck(report));
  return report.ok ? ExitCode.Ok : ExitCode.RelayFailed;
}
