import { createListenerSet, createNodeNetwork, describeValue, familyOf, numberProblem, formatEndpoint, silentLogger, systemClock, type Clock, type Endpoint, type ListenerSet, type Logger, type Network, type UdpSocket } from '@natkit/net';
import { StunServerError } from '../errors.js';
import { BindingResponder } from './binding-response.js';
import { answerOn, createStunBindingService } from './binding-service.js';
import type { HandlerConfig } from './handle-binding-request.js';
import { clampPadding, createHandlerConfig, softwareOf } from './handler-config.js';
import { ServerCounters, type StunServerStats } from './server-stats.js';
import { bindPlannedSockets } from './bind-sockets.js';
import { planSockets, isWildcard, type AlternateOptions, type ServerMode, type SocketPlan } from './socket-plan.js';

export { DEFAULT_MAX_PADDING, MAX_PADDING_LIMIT } from './handler-config.js';

export interface StunServerOptions {
  /**
   * Address and port to serve on (port 0: ephemeral). A wildcard (0.0.0.0, ::) without an
   * alternate serves every local address of its family with a socket each, following address
   * changes, so that answers leave from the address the request came to (RFC 8489 §6.3.1.2).
   */
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
  /** How often a wildcard server looks for added or removed local addresses. Default 5000 ms. */
  readonly refreshIntervalMs?: number;
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

/**
 * A STUN server answering Binding requests (RFC 8489), with the RFC 5780 server behavior when
 * given an alternate address, and RFC 3489 responses for clients without the magic cookie.
 * Malformed input is dropped and counted, never thrown.
 */
export function createStunServer(options: StunServerOptions, given: StunServerComponents = {}): StunServer {
  checkServerOptions(options);
  const components: ResolvedComponents = { ...given, network: given.network ?? createNodeNetwork() };
  const plan = planSockets(options.primary, options.alternate);
  for (const a of [options.advertised?.primary, options.advertised?.alternate]) {
    if (a !== undefined && familyOf(a) !== plan.family) {
      throw new StunServerError('ERR_STUN_SERVER_CONFIG', `advertised address ${a} is not an IPv${plan.family} literal`);
    }
  }
  const logger = (components.logger ?? silentLogger).child('stun:server');
  const clock = components.clock ?? systemClock;
  const backend = plan.mode === 'single' ? singleAddress(options, components, plan) : rfc5780Sockets(options, components, plan);
  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let startedAt = 0;

  const serve = async (): Promise<void> => {
    await backend.start();
    if (closing !== undefined) {
      await backend.close();
      throw new StunServerError('ERR_STUN_SERVER_STATE', 'closed while starting');
    }
    startedAt = clock.now();
    logStart(logger, plan.mode, backend.sockets(), backend.perAddress());
  };

  const close = (): Promise<void> => {
    closing ??= (async () => {
      await starting?.catch(() => undefined);
      const stats = backend.stats(clock.now() - startedAt);
      await backend.close();
      logger.info('closed', { ...stats });
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
    addresses: () => backend.sockets().map((s) => s.local),
    stats: () => backend.stats(startedAt === 0 ? 0 : clock.now() - startedAt),
    close,
    [Symbol.asyncDispose]: close,
  };
}

type ResolvedComponents = StunServerComponents & { readonly network: Network };

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

/** What a server runs on: its sockets, their counters. */
interface Backend {
  start(): Promise<void>;
  sockets(): UdpSocket[];
  perAddress(): boolean;
  stats(uptimeMs: number): StunServerStats;
  close(): Promise<void>;
}

/** One address (or, for a wildcard, every local address): a listener set and the Binding service. */
function singleAddress(options: StunServerOptions, components: ResolvedComponents, plan: SocketPlan): Backend {
  const listeners: ListenerSet = createListenerSet(
    { family: plan.family, address: options.primary.address, port: options.primary.port, ...(components.refreshIntervalMs === undefined ? {} : { refreshIntervalMs: components.refreshIntervalMs }) },
    { network: components.network, ...(components.clock ? { clock: components.clock } : {}), ...(components.logger ? { logger: components.logger } : {}) },
  );
  const service = createStunBindingService(
    {
      ...(options.software === undefined ? {} : { software: options.software }),
      ...(options.maxPadding === undefined ? {} : { maxPadding: options.maxPadding }),
      ...(options.advertised?.primary === undefined ? {} : { advertised: options.advertised.primary }),
    },
    { ...(components.logger ? { logger: components.logger } : {}), ...(components.clock ? { clock: components.clock } : {}) },
  );
  let stop: (() => void) | undefined;
  return {
    start: async () => {
      try {
        await listeners.start();
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        throw new StunServerError('ERR_STUN_SERVER_BIND', `cannot bind the STUN server's sockets: ${message}`, e);
      }
      stop = service.serveListeners(listeners);
    },
    sockets: () => [...listeners.sockets()],
    perAddress: () => listeners.perAddress(),
    stats: (uptimeMs) => ({ ...service.stats(), sendQueueDrops: listeners.stats().sendQueueDrops, uptimeMs }),
    close: async () => {
      stop?.();
      await listeners.close();
    },
  };
}

/** Two or four sockets for RFC 5780: answers may leave from a socket other than the receiving one. */
function rfc5780Sockets(options: StunServerOptions, components: ResolvedComponents, plan: SocketPlan): Backend {
  const logger = (components.logger ?? silentLogger).child('stun:server');
  const counters = new ServerCounters();
  let sockets: UdpSocket[] = [];
  return {
    start: async () => {
      sockets = await bindPlannedSockets(components.network, plan);
      const cfg = handlerConfig(plan.mode, sockets, options);
      sockets.forEach((socket, index) => answerOn(socket, index, cfg, counters, logger, (via) => sockets[via]));
    },
    sockets: () => sockets,
    perAddress: () => false,
    stats: (uptimeMs) => counters.snapshot(uptimeMs, sockets),
    close: async () => {
      await Promise.all(sockets.map((s) => s.close()));
    },
  };
}

/** Creates and starts a server. */
export async function startStunServer(options: StunServerOptions, components: StunServerComponents = {}): Promise<StunServer> {
  const server = createStunServer(options, components);
  await server.start();
  return server;
}

function handlerConfig(mode: ServerMode, sockets: readonly UdpSocket[], options: StunServerOptions): HandlerConfig {
  const advertised = options.advertised ?? {};
  const otherOnAlternate = options.otherAddressOnAlternate ?? 'rfc5780';
  // Socket index = ip role * 2 + port role: what a client must be told about socket i.
  const announced = (i: number): Endpoint | undefined => {
    const local = sockets[i]?.local;
    if (local === undefined) return undefined;
    const address = (i >> 1 === 0 ? advertised.primary : advertised.alternate) ?? local.address;
    return isWildcard(address) ? undefined : { address, port: local.port };
  };
  const software = softwareOf(options.software);
  const responders = sockets.map((_, receivedOn) =>
    sockets.map((s, sendingOn) => {
      // OTHER-ADDRESS only with a second IP (RFC 5780 §7.4): the socket differing in both IP and
      // port from the one the request came to.
      const otherIndex = otherOnAlternate === 'coturn' && receivedOn >= 2 ? receivedOn ^ 1 : receivedOn ^ 3;
      const other = mode === 'full' ? announced(otherIndex) : undefined;
      const origin = announced(sendingOn);
      // RFC 3489 §11.2.3: CHANGED-ADDRESS always; with one IP, the other port (port-only).
      const changed = other ?? announced(receivedOn ^ 1);
      return new BindingResponder(s.family, { origin, other, changed }, software.value);
    }),
  );
  return createHandlerConfig(mode, responders, clampPadding(options.maxPadding), software.attribute);
}

function logStart(logger: Logger, mode: ServerMode, sockets: readonly UdpSocket[], perAddress: boolean): void {
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
  if (perAddress) {
    logger.info('bound to a wildcard address: serving each local address with its own socket, following address changes');
  } else if (sockets.some((s) => isWildcard(s.local.address))) {
    logger.info('bound to a wildcard address: RESPONSE-ORIGIN is omitted (the local address is unknown)');
  }
}
