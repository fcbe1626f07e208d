import { createNodeNetwork, describeValue, familyOf, formatEndpoint, numberProblem, silentLogger, systemClock, type Clock, type Endpoint, type Logger, type Network, type UdpSocket } from '@natkit/net';
import { StunServerError } from '../errors.js';
import { AttributeType } from '../proto/constants.js';
import { software as softwareAttribute } from '../proto/text-attributes.js';
import { BindingResponder } from './binding-response.js';
import { handleBindingRequest, type HandlerConfig } from './handle-binding-request.js';
import { ServerCounters, type StunServerStats } from './server-stats.js';
import { bindPlannedSockets } from './bind-sockets.js';
import { planSockets, isWildcard, type AlternateOptions, type ServerMode } from './socket-plan.js';

export interface StunServerOptions {
  /** Address and port to serve on (port 0: ephemeral). */
  readonly primary: Endpoint;
  /**
   * A second IP and/or port for RFC 5780 behavior tests. Both: four sockets, every test.
   * Only a port: two sockets, port changes only. Omitted: one socket.
   */
  readonly alternate?: AlternateOptions;
  /** SOFTWARE in every response (fewer than 128 characters); omitted when undefined. */
  readonly software?: string;
  /** Most PADDING bytes echoed in a response (and never more than the request had). Default 4096. */
  readonly maxPadding?: number;
  /**
   * OTHER-ADDRESS in answers to requests received on the alternate IP. 'rfc5780' (default): the
   * socket differing in IP and port, as RFC 5780 §7.4 says. 'coturn': the alternate IP with the
   * other port, as coturn answers; coturn's `turnutils_natdiscovery` aims its mapping test III at
   * the OTHER-ADDRESS of test II's answer and misjudges address-dependent mapping as
   * address-and-port-dependent against a server that follows the RFC. Clients that use test I's
   * OTHER-ADDRESS (RFC 5780 §4.3, natkit, pion, stuntman) see no difference.
   */
  readonly otherAddressOnAlternate?: 'rfc5780' | 'coturn';
  /**
   * Public addresses to announce in RESPONSE-ORIGIN and OTHER-ADDRESS when the server sits behind
   * a 1:1 NAT (a cloud VM whose bound addresses are private): `primary` stands for the primary IP,
   * `alternate` for the alternate IP; ports are announced as bound. Like stuntman's
   * --primaryadvertised / --altadvertised.
   */
  readonly advertised?: { readonly primary?: string; readonly alternate?: string };
}

export interface StunServerComponents {
  /** Sockets; default `createNodeNetwork()`. */
  readonly network?: Network;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface StunServer {
  /** Binds the sockets; resolves when serving. Idempotent. */
  start(): Promise<void>;
  /** Bound addresses in role order: primary, [alternate port], [alternate IP, alternate both]. */
  addresses(): Endpoint[];
  readonly mode: ServerMode;
  stats(): StunServerStats;
  /** Closes every socket; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Default cap on echoed PADDING: enough to force fragmentation on any common MTU (RFC 5780 §7.6). */
export const DEFAULT_MAX_PADDING = 4096;
/** Hard upper bound of `maxPadding`: the response with its other attributes stays a valid datagram. */
export const MAX_PADDING_LIMIT = 16_384;
/** Attributes a request may carry before it is dropped as malformed (a Binding request needs few). */
const MAX_REQUEST_ATTRIBUTES = 32;

// Comprehension-required types a request may carry: everything in the registry we parse, and
// ICE's PRIORITY / USE-CANDIDATE (RFC 8445 §16.1), which clients reuse on servers. Credentials
// (USERNAME, MESSAGE-INTEGRITY...) are understood and ignored: this server does no auth.
const KNOWN: readonly number[] = [
  ...Object.values(AttributeType).filter((t) => t < 0x8000),
  0x0024, // PRIORITY, RFC 8445 §16.1
  0x0025, // USE-CANDIDATE, RFC 8445 §16.1
];

/**
 * A STUN server answering Binding requests (RFC 8489), with the RFC 5780 server behavior when
 * given an alternate address, and RFC 3489 responses for clients without the magic cookie.
 * Malformed input is dropped and counted, never thrown.
 */
export function createStunServer(options: StunServerOptions, components: StunServerComponents = {}): StunServer {
  checkServerOptions(options);
  const plan = planSockets(options.primary, options.alternate);
  for (const a of [options.advertised?.primary, options.advertised?.alternate]) {
    if (a !== undefined && familyOf(a) !== plan.family) {
      throw new StunServerError('ERR_STUN_SERVER_CONFIG', `advertised address ${a} is not an IPv${plan.family} literal`);
    }
  }
  const logger = (components.logger ?? silentLogger).child('stun:server');
  const clock = components.clock ?? systemClock;
  const network = components.network ?? createNodeNetwork();
  const counters = new ServerCounters();
  const software = options.software === undefined ? undefined : softwareAttribute(options.software);
  // Above MAX_PADDING_LIMIT is capped: a response must stay a valid datagram.
  const maxPadding = Math.min(MAX_PADDING_LIMIT, options.maxPadding ?? DEFAULT_MAX_PADDING);
  let sockets: UdpSocket[] = [];
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let startedAt = 0;

  const serve = async (): Promise<void> => {
    const bound = await bindPlannedSockets(network, plan);
    if (closing !== undefined) {
      await Promise.all(bound.map((s) => s.close()));
      throw new StunServerError('ERR_STUN_SERVER_STATE', 'closed while starting');
    }
    sockets = bound;
    const cfg = handlerConfig(plan.mode, bound, maxPadding, software, options.otherAddressOnAlternate ?? 'rfc5780', options.advertised ?? {});
    serveSockets(bound, cfg, counters, logger);
    startedAt = clock.now();
    logStart(logger, plan.mode, bound);
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      await starting?.catch(() => undefined);
      await Promise.all(sockets.map((s) => s.close()));
      logger.info('closed', { ...counters.snapshot(clock.now() - startedAt) });
    })();
    return closing;
  };

  return {
    mode: plan.mode,
    start: () => {
      if (closing !== undefined) return Promise.reject(new StunServerError('ERR_STUN_SERVER_STATE', 'server is closed'));
      starting ??= serve();
      return starting;
    },
    addresses: () => sockets.map((s) => s.local),
    stats: () => counters.snapshot(startedAt === 0 ? 0 : clock.now() - startedAt),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Throws StunServerError `ERR_BAD_OPTION` for an option of the wrong type or out of range. */
function checkServerOptions(options: StunServerOptions): void {
  const bad = (what: string, problem: string): StunServerError => new StunServerError('ERR_BAD_OPTION', `STUN server: ${what} ${problem}`);
  if (typeof options !== 'object' || options === null) throw bad('options', 'must be an object');
  if (options.maxPadding !== undefined) {
    const problem = numberProblem(options.maxPadding, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
    if (problem !== undefined) throw bad('maxPadding', problem);
  }
  const other: unknown = options.otherAddressOnAlternate;
  if (other !== undefined && other !== 'rfc5780' && other !== 'coturn') throw bad('otherAddressOnAlternate', `must be 'rfc5780' or 'coturn', not ${describeValue(other)}`);
  if (options.software !== undefined && typeof options.software !== 'string') throw bad('software', 'must be a string');
}

/** Answers on every socket: the hot path. Responses are fire and forget. */
function serveSockets(sockets: readonly UdpSocket[], cfg: HandlerConfig, counters: ServerCounters, logger: Logger): void {
  sockets.forEach((socket, index) => {
    socket.onMessage((data, from) => {
      counters.received++;
      const outcome = handleBindingRequest(cfg, data, from, index);
      if (outcome.kind === 'drop') {
        counters.drop(outcome.reason);
        logger.trace('dropped', { reason: outcome.reason, detail: outcome.detail, from: formatEndpoint(from) });
        return;
      }
      counters.responded++;
      if (outcome.errorCode !== undefined) counters.errorResponse(outcome.errorCode);
      (sockets[outcome.via] ?? socket).send(outcome.bytes, outcome.to);
    });
    socket.onError((e) => {
      counters.sendErrors++;
      logger.debug('socket error', { socket: formatEndpoint(socket.local), error: e.message });
    });
  });
}

/** Creates and starts a server. */
export async function startStunServer(options: StunServerOptions, components: StunServerComponents = {}): Promise<StunServer> {
  const server = createStunServer(options, components);
  await server.start();
  return server;
}

function handlerConfig(
  mode: ServerMode,
  sockets: readonly UdpSocket[],
  maxPadding: number,
  software: ReturnType<typeof softwareAttribute> | undefined,
  otherOnAlternate: 'rfc5780' | 'coturn',
  advertised: NonNullable<StunServerOptions['advertised']>,
): HandlerConfig {
  // Socket index = ip role * 2 + port role: what a client must be told about socket i.
  const announced = (i: number): Endpoint | undefined => {
    const local = sockets[i]?.local;
    if (local === undefined) return undefined;
    const address = (i >> 1 === 0 ? advertised.primary : advertised.alternate) ?? local.address;
    return isWildcard(address) ? undefined : { address, port: local.port };
  };
  const known = new Set(KNOWN);
  if (mode === 'single') known.delete(AttributeType.ChangeRequest);
  const value = software?.value instanceof Uint8Array ? software.value : undefined;
  const responders = sockets.map((_, receivedOn) =>
    sockets.map((s, sendingOn) => {
      // OTHER-ADDRESS only with a second IP (RFC 5780 §7.4): the socket differing in both IP and
      // port from the one the request came to.
      const otherIndex = otherOnAlternate === 'coturn' && receivedOn >= 2 ? receivedOn ^ 1 : receivedOn ^ 3;
      const other = mode === 'full' ? announced(otherIndex) : undefined;
      const origin = announced(sendingOn);
      return new BindingResponder(s.family, { origin, other }, value);
    }),
  );
  return { mode, responders, known, maxPadding, software, maxAttributes: MAX_REQUEST_ATTRIBUTES };
}

function logStart(logger: Logger, mode: ServerMode, sockets: readonly UdpSocket[]): void {
  const addresses = sockets.map((s) => formatEndpoint(s.local));
  if (mode === 'full') {
    logger.info('serving STUN with RFC 5780 behavior discovery', { addresses });
  } else if (mode === 'port-only') {
    logger.info(
      'serving STUN with an alternate port only: CHANGE-REQUEST can change the port, change-IP gets 420, ' +
        'and no OTHER-ADDRESS is sent. RFC 5780 mapping and filtering tests need a second IP address',
      { addresses },
    );
  } else {
    logger.info(
      'serving STUN on one address: CHANGE-REQUEST gets 420 and no OTHER-ADDRESS is sent. ' +
        'RFC 5780 NAT behavior tests need two IP addresses and two ports (alternate option)',
      { addresses },
    );
  }
  if (sockets.some((s) => isWildcard(s.local.address))) {
    logger.info('bound to a wildcard address: RESPONSE-ORIGIN is omitted (the local address is unknown)');
  }
}
