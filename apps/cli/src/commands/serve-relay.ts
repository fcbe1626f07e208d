import { channelForwardingStatus, familyOf, formatEndpoint, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import { StunError } from '@natkit/stun';
import { createTurnServer, parseCidr, type AllocateRedirect, type TurnQuotas, type TurnServer, type TurnServerOptions } from '@natkit/turn';
import { memoryReducerOff } from '../v8-tuning.js';

/** The TURN flags of `natkit serve` (issue 6: scripts depend on these exact names). */
export interface RelayServeFlags {
  /** commander's `--no-relay`: false when given. */
  readonly relay?: boolean;
  readonly user?: readonly string[];
  readonly authSecret?: readonly string[];
  readonly realm?: string;
  readonly relayPorts?: string;
  readonly relayAddress?: readonly string[];
  readonly advertiseRelayAddress?: readonly string[];
  readonly allowPeer?: readonly string[];
  readonly denyPeer?: readonly string[];
  readonly userQuota?: string;
  readonly totalQuota?: string;
  readonly permissionQuota?: string;
  readonly channelQuota?: string;
  readonly maxBps?: string;
  readonly rfc5766ChannelNumbers?: boolean;
}

const usage = (message: string): StunError => new StunError('ERR_USAGE', message);

function parseCount(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) < min) throw usage(`${name} takes a whole number of at least ${min}, not '${v}'`);
  return Number(v);
}

function parseUsers(list: readonly string[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const u of list) {
    const colon = u.indexOf(':');
    if (colon <= 0 || colon === u.length - 1) throw usage('--user takes NAME:PASSWORD (split at the first colon)');
    users.set(u.slice(0, colon), u.slice(colon + 1));
  }
  return users;
}

function parseRange(v: string | undefined): { low: number; high: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
  const low = Number(m?.[1]);
  const high = Number(m?.[2]);
  if (m === null || low < 1 || high > 65535 || low > high) throw usage(`--relay-ports takes LOW-HIGH within 1-65535, not '${v}'`);
  return { low, high };
}

function checkAddresses(list: readonly string[] | undefined, name: string): readonly string[] {
  for (const a of list ?? []) if (familyOf(a) === undefined) throw usage(`${name} takes an IP address literal, not '${a}'`);
  return list ?? [];
}

function checkCidrs(list: readonly string[] | undefined, name: string): readonly string[] {
  for (const c of list ?? []) if (parseCidr(c) === undefined) throw usage(`${name} takes a CIDR such as 10.0.0.0/8 or 2001:db8::/32, not '${c}'`);
  return list ?? [];
}

/** The relay's options from the flags, or undefined with `--no-relay`. Throws ERR_USAGE. */
export function parseRelayFlags(flags: RelayServeFlags): TurnServerOptions | undefined {
  if (flags.relay === false) return undefined;
  const quotas: TurnQuotas = {
    ...opt('allocationsPerUser', parseCount(flags.userQuota, '--user-quota', 1)),
    ...opt('allocations', parseCount(flags.totalQuota, '--total-quota', 1)),
    ...opt('permissionsPerAllocation', parseCount(flags.permissionQuota, '--permission-quota', 1)),
    ...opt('channelsPerAllocation', parseCount(flags.channelQuota, '--channel-quota', 1)),
    ...opt('bandwidthBytesPerSecond', parseCount(flags.maxBps, '--max-bps', 0)),
  };
  const relayPorts = parseRange(flags.relayPorts);
  if (flags.realm !== undefined && (flags.realm.length === 0 || flags.realm.length > 127)) throw usage('--realm takes 1 to 127 characters');
  return {
    realm: flags.realm ?? 'natkit',
    users: parseUsers(flags.user ?? []),
    authSecrets: (flags.authSecret ?? []).map((s) => {
      if (s.length === 0) throw usage('--auth-secret must not be empty');
      return s;
    }),
    ...(relayPorts === undefined ? {} : { relayPorts }),
    relayAddresses: checkAddresses(flags.relayAddress, '--relay-address'),
    advertisedRelayAddresses: checkAddresses(flags.advertiseRelayAddress, '--advertise-relay-address'),
    allowPeers: checkCidrs(flags.allowPeer, '--allow-peer'),
    denyPeers: checkCidrs(flags.denyPeer, '--deny-peer'),
    quotas,
    rfc5766ChannelNumbers: flags.rfc5766ChannelNumbers === true,
    software: 'natkit',
  };
}

function opt<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

/**
 * A `Network` that hands every UDP socket it binds to `onBound` too: the TURN server attaches
 * to the STUN server's sockets (one port, RFC 7983 demux) without the STUN server knowing.
 */
export function sharingNetwork(base: Network, onBound: (s: UdpSocket) => () => void): Network {
  return {
    bindUdp: async (o) => {
      const s = await base.bindUdp(o);
      const detach = onBound(s);
      // A socket the STUN side closes (an address that went away) is detached from the relay first.
      const close = async (): Promise<void> => {
        detach();
        await s.close();
      };
      const shared: UdpSocket = {
        local: s.local,
        family: s.family,
        send: (data, to) => s.send(data, to),
        onMessage: (h) => s.onMessage(h),
        onError: (h) => s.onError(h),
        close,
        [Symbol.asyncDispose]: close,
        ...(s.stats === undefined ? {} : { stats: () => s.stats!() }),
      };
      return shared;
    },
    localAddressFor: (remote: Endpoint) => base.localAddressFor(remote),
    ...(base.interfaceAddresses === undefined ? {} : { interfaceAddresses: () => base.interfaceAddresses!() }),
  };
}

/** Creates the relay (it attaches to sockets later). Throws StunError ERR_USAGE for bad options. */
export function createRelay(options: TurnServerOptions, network: Network, logger: Logger, redirect?: AllocateRedirect): TurnServer {
  try {
    return createTurnServer(options, { network, logger, ...(redirect === undefined ? {} : { redirect }) });
  } catch (e) {
    throw usage(e instanceof Error ? e.message : String(e));
  }
}

/** Startup lines: where the relay listens, its relay ports and addresses, and how clients authenticate. */
export function relayStartupLines(relay: TurnServer, udp: readonly Endpoint[], options: TurnServerOptions): string[] {
  const lines = [`TURN relay (RFC 8656) on UDP ${udp.map(formatEndpoint).join(', ')}, realm '${relay.realm}'`];
  const relayAddresses = options.relayAddresses ?? [];
  const where = relayAddresses.length > 0 ? relayAddresses.join(', ') : 'the address each client reached';
  const advertised = options.advertisedRelayAddresses ?? [];
  lines.push(
    `relay ports ${relay.relayPorts.low}-${relay.relayPorts.high} on ${where}` +
      (advertised.length > 0 ? `, announced as ${advertised.join(', ')}` : ''),
  );
  const modes: string[] = [];
  if (relay.authModes.includes('static-users')) modes.push(`long-term credentials (${options.users?.size ?? 0} user(s))`);
  if (relay.authModes.includes('rest-secret')) modes.push(`TURN REST ephemeral credentials (${options.authSecrets?.length ?? 0} secret(s))`);
  if (relay.authModes.includes('self-issued')) {
    modes.push(
      relay.authModes.length === 1
        ? 'only credentials this server issues itself, from a secret generated at start (no --user or --auth-secret given)'
        : 'credentials this server issues itself (to its rendezvous peers), from a secret generated at start',
    );
  }
  // USERHASH finds static users and self-issued names (not names other servers mint from a --auth-secret).
  const anonymity = relay.offersUserhash ? ' and USERHASH' : '';
  lines.push(`relay auth: ${modes.join('; ')}; MESSAGE-INTEGRITY-SHA256${anonymity} offered`);
  const allow = options.allowPeers ?? [];
  lines.push(
    'peers: special-purpose, private, loopback, link-local and metadata addresses and our own are refused (of our own, only the relayed addresses of other allocations are allowed: relay to relay)' +
      (allow.length > 0 ? `; opened by --allow-peer: ${allow.join(', ')}` : '') +
      ((options.denyPeers ?? []).length > 0 ? `; closed by --deny-peer: ${(options.denyPeers ?? []).join(', ')}` : ''),
  );
  lines.push(relayFastPathLine(relay, (options.quotas?.bandwidthBytesPerSecond ?? 0) > 0));
  return lines;
}

/** Whether bound channels over UDP are relayed inside the batched-UDP addon, and why not when they are not. */
export function relayFastPathLine(relay: TurnServer, bandwidthQuota: boolean): string {
  const sockets = channelForwardingStatus();
  const why = !sockets.available ? sockets.reason : relay.channelOffload.reason;
  const quota = bandwidthQuota ? '; --max-bps: one bucket per allocation and direction, in the addon, for both paths' : '';
  return why === undefined
    ? `relay fast path on: ChannelData of bound channels over UDP relayed inside the batched-UDP addon, no call into JS per packet${quota} (NATKIT_RELAY_OFFLOAD=0 turns it off); ${memoryReducerNote()}`
    : `relay fast path off (${why}): every relayed packet goes through JS`;
}

/** The fast path runs on this thread, which V8's memory reducer pauses (v8-tuning.ts). */
function memoryReducerNote(): string {
  return memoryReducerOff()
    ? "V8's memory reducer off"
    : "V8's memory reducer ON (natkit's CLI loaded without its launcher, bin/natkit.js): its full GCs pause the fast path 10-20 ms; start Node with --no-memory-reducer";
}
