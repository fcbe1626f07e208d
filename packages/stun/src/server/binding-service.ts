import { familyOf, formatEndpoint, silentLogger, systemClock, type Clock, type ListenerSet, type Logger, type UdpSocket } from '@natkit/net';
import { StunServerError } from '../errors.js';
import { BindingResponder } from './binding-response.js';
import { handleBindingRequest, type HandlerConfig } from './handle-binding-request.js';
import { clampPadding, createHandlerConfig, softwareOf } from './handler-config.js';
import { ServerCounters, type StunServerStats } from './server-stats.js';
import { isWildcard } from './socket-plan.js';

export interface StunBindingServiceOptions {
  /** SOFTWARE in every modern response (fewer than 128 characters); omitted when undefined. */
  readonly software?: string;
  /** Most PADDING bytes echoed in a response (and never more than the request had). Default 4096. */
  readonly maxPadding?: number;
  /**
   * The public address to announce in RESPONSE-ORIGIN (and CHANGED-ADDRESS) instead of each
   * socket's own, behind a 1:1 NAT. Only for a service on one address.
   */
  readonly advertised?: string;
}

export interface StunBindingServiceComponents {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * STUN Binding (RFC 8489, one address per socket: no RFC 5780 changes) on sockets it is given,
 * for sharing a listening port with other protocols: each served socket keeps its other handlers
 * (a TURN server's, say), and datagrams that are not Binding requests are left to them (dropped
 * and counted here, never answered).
 */
export interface StunBindingService {
  /** Answers Binding requests arriving on `socket`, from `socket`. Returns the function that stops (the socket stays open). */
  serve(socket: UdpSocket): () => void;
  /** Serves every socket of `listeners`, now and as they come and go. Returns the function that stops. */
  serveListeners(listeners: ListenerSet): () => void;
  /** The sockets served now. */
  sockets(): UdpSocket[];
  stats(): StunServerStats;
}

/** A STUN Binding service; see `StunBindingService`. */
export function createStunBindingService(options: StunBindingServiceOptions = {}, components: StunBindingServiceComponents = {}): StunBindingService {
  if (options.advertised !== undefined && familyOf(options.advertised) === undefined) {
    throw new StunServerError('ERR_STUN_SERVER_CONFIG', `advertised address ${options.advertised} is not an IP literal`);
  }
  const logger = (components.logger ?? silentLogger).child('stun:server');
  const clock = components.clock ?? systemClock;
  const startedAt = clock.now();
  const counters = new ServerCounters();
  const software = softwareOf(options.software);
  const maxPadding = clampPadding(options.maxPadding);
  const served = new Map<UdpSocket, () => void>();

  const serve = (socket: UdpSocket): (() => void) => {
    const known = served.get(socket);
    if (known !== undefined) return known;
    const local = isWildcard(socket.local.address) ? undefined : socket.local;
    const advertised = options.advertised !== undefined && familyOf(options.advertised) === socket.family ? options.advertised : undefined;
    const origin = local === undefined ? undefined : { address: advertised ?? local.address, port: local.port };
    const responder = new BindingResponder(socket.family, { origin, other: undefined, changed: origin }, software.value);
    const cfg = createHandlerConfig('single', [[responder]], maxPadding, software.attribute);
    const off = answerOn(socket, 0, cfg, counters, logger, () => socket);
    const stop = (): void => {
      if (served.get(socket) !== stop) return;
      served.delete(socket);
      off();
      counters.sendQueueDropsGone += socket.stats?.().sendQueueDrops ?? 0;
    };
    served.set(socket, stop);
    return stop;
  };

  return {
    serve,
    serveListeners: (listeners) => {
      const mine = new Set<UdpSocket>();
      const unwatch = listeners.watch({
        added: (s) => {
          mine.add(s);
          serve(s);
        },
        removed: (s) => {
          mine.delete(s);
          served.get(s)?.();
        },
      });
      return () => {
        unwatch();
        for (const s of mine) served.get(s)?.();
        mine.clear();
      };
    },
    sockets: () => [...served.keys()],
    stats: () => counters.snapshot(clock.now() - startedAt, [...served.keys()]),
  };
}

/**
 * The hot path: answers datagrams arriving on `socket` (role `receivedOn`), sending each answer
 * from `sendVia(outcome.via)`. Responses are fire and forget. Returns the function that stops.
 */
export function answerOn(
  socket: UdpSocket,
  receivedOn: number,
  cfg: HandlerConfig,
  counters: ServerCounters,
  logger: Logger,
  sendVia: (via: number) => UdpSocket | undefined,
): () => void {
  const offMessage = socket.onMessage((data, from) => {
    counters.received++;
    const outcome = handleBindingRequest(cfg, data, from, receivedOn);
    if (outcome.kind === 'drop') {
      counters.drop(outcome.reason);
      // ChannelData (first byte 64-127, RFC 7983) is a TURN relay's traffic on a shared socket, one
      // datagram per relayed packet: counted, not logged (the record's fields would be built per
      // packet even with tracing off).
      const first = data[0] ?? 0;
      if (first < 64 || first > 127) logger.trace('dropped', { reason: outcome.reason, detail: outcome.detail, from: formatEndpoint(from) });
      return;
    }
    counters.responded++;
    if (outcome.errorCode !== undefined) counters.errorResponse(outcome.errorCode);
    (sendVia(outcome.via) ?? socket).send(outcome.bytes, outcome.to);
  });
  const offError = socket.onError((e) => {
    counters.sendErrors++;
    logger.debug('socket error', { socket: formatEndpoint(socket.local), error: e.message });
  });
  return () => {
    offMessage();
    offError();
  };
}
