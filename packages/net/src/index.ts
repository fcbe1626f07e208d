/**
 * @packageDocumentation
 * Interfaces every natkit package is written against (`Network`, `UdpSocket`, `Clock`,
 * `Logger`, `Endpoint`), and their Node implementation.
 *
 * @example
 * ```ts
 * import { createNodeNetwork } from '@natkit/net';
 * const net = createNodeNetwork();
 * const socket = await net.bindUdp({ family: 4, address: '127.0.0.1' });
 * socket.onMessage((data, from) => console.log(data.length, from));
 * socket.send(new TextEncoder().encode('hi'), socket.local);
 * await socket.close();
 * ```
 */
export type { Endpoint, Family, ParseEndpointResult } from './endpoint.js';
export {
  anyAddress,
  familyOf,
  formatEndpoint,
  isSameEndpoint,
  normalizeAddress,
  parseHostPort,
} from './endpoint.js';
export type { Clock, Timer } from './clock.js';
export { sleep, systemClock } from './clock.js';
export type { LogFields, Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { ChannelForwarding, ChannelRoute, ChannelRouteResult, ForwardedCounts, ForwardingQuota } from './channel-forwarding.js';
export type { BindOptions, InterfaceAddress, MessageHandler, Network, UdpSocket, UdpSocketStats } from './network.js';
export type { ListenerSet, ListenerSetComponents, ListenerSetOptions, ListenerWatcher } from './listener-set.js';
export { createListenerSet, DEFAULT_REFRESH_INTERVAL_MS } from './listener-set.js';
export type { ConsoleLoggerOptions, LogLevel } from './console-logger.js';
export { createConsoleLogger } from './console-logger.js';
export type { InputErrorCode, NumberRange } from './input-check.js';
export { checkBindOptions, describeValue, numberProblem, portProblem, sendTargetError } from './input-check.js';
export { NetworkError } from './errors.js';
export type { NodeNetworkOptions } from './node/node-network.js';
export { createNodeNetwork, udpReusePortSupported } from './node/node-network.js';
export type { UdpBatchStatus } from './node/batch-udp-addon.js';
export { channelForwardingStatus, udpBatchStatus } from './node/batch-udp-addon.js';
export { DEFAULT_MAX_SEND_QUEUE_BYTES } from './node/send-queue.js';
export type {
  AcceptedConnection,
  ConnectTcpOptions,
  DataHandler,
  ListenTcpOptions,
  OverflowPolicy,
  StreamConnection,
  StreamLimits,
  StreamListener,
  StreamNetwork,
  StreamStats,
  TlsClientOptions,
  TlsServerOptions,
  WriteResult,
} from './stream.js';
export { hasStreams } from './stream.js';
export { DEFAULT_MAX_WRITE_BUFFER } from './node/node-stream-connection.js';
