import { createRequire } from 'node:module';
import { constants } from 'node:os';

/**
 * The optional native addon for batched UDP I/O on Linux (`native/udp-batch.c`, built at install
 * by `scripts/build-native.mjs` into `build/udp-batch.node`). Every function returns a number
 * (or, for `local`, a pair) instead of throwing: a negative number is `-errno`.
 */
export interface UdpBatchAddon {
  /** Once per JS environment: registers the batch dispatcher; returns the shared receive arena and metadata. */
  init(dispatch: (id: number, count: number) => void): [ArrayBuffer, ArrayBuffer, number, number, number, number];
  open(family: 4 | 6, address: string, port: number, reusePort: boolean, receiveBufferSize: number, sendBufferSize: number): number;
  connect(id: number, address: string, port: number): number;
  local(id: number): [string, number] | number;
  /** 0: staged (leaves at the end of this loop phase); > 0: the backlog's bytes, nothing done (see `enqueue`); < 0: -errno. */
  send(id: number, data: Uint8Array, address: string | null, port: number): number;
  /** Appends to the socket's backlog (the caller admitted it against its bound). */
  enqueue(id: number, data: Uint8Array, address: string | null, port: number): number;
  queued(id: number): number;
  close(id: number): number;
  /** Sends what is staged now (on process 'exit', where no loop phase follows). */
  flush(): void;
  /**
   * The ChannelData fast path (native/udp-forward.c): installs or updates a route (listener,
   * client, channel) <-> (relay, peer) for `ttlMs`; 0 or -errno (-ENOSPC: the table is full,
   * -EBADF: a socket is not open, -EINVAL: a bad argument).
   */
  setRoute(listenerId: number, clientAddress: string, clientPort: number, channel: number, relayId: number, peerAddress: string, peerPort: number, ttlMs: number, quotaId: number): number;
  /** 0, or -ENOENT when there was no such route. */
  deleteRoute(listenerId: number, clientAddress: string, clientPort: number, channel: number): number;
  /** A relay socket's fast-path counters: packets and bytes to peers, to clients, drops. */
  forwardStats(id: number): [number, number, number, number, number] | number;
  /** At most `n` routes in this context (1 to 2^20, the default); 0 or -EINVAL. */
  setRouteLimit(n: number): number;
  routeCount(): number;
  /** A bandwidth quota (native/udp-quota.c) for routes: its id (> 0) or -errno. */
  createQuota(bytesPerSecond: number): number;
  deleteQuota(id: number): number;
  /** 1: within the rate (taken), 0: over it, < 0: -errno. Direction 0: to the peer, 1: to the client. */
  takeQuota(id: number, direction: 0 | 1, bytes: number): number;
}

/** Whether batched UDP I/O is in use for new sockets, and why not when it is not. */
export interface UdpBatchStatus {
  readonly available: boolean;
  /** Why not (platform, addon not built, switched off). */
  readonly reason?: string;
}

/** Environment switch: `NATKIT_UDP_BATCH=0` keeps every socket on `node:dgram`. */
export const UDP_BATCH_ENV = 'NATKIT_UDP_BATCH';

let loaded: { addon: UdpBatchAddon } | { reason: string } | undefined;

/** Loads the addon once; undefined (with the reason in `udpBatchStatus()`) where it cannot be used. */
export function loadUdpBatchAddon(): UdpBatchAddon | undefined {
  loaded ??= load();
  return 'addon' in loaded ? loaded.addon : undefined;
}

function load(): { addon: UdpBatchAddon } | { reason: string } {
  if (process.platform !== 'linux') return { reason: `batched UDP I/O is Linux-only (this is ${process.platform})` };
  const env = process.env[UDP_BATCH_ENV];
  if (env === '0' || env === 'off' || env === 'false') return { reason: `switched off (${UDP_BATCH_ENV}=${env})` };
  try {
    // From dist/node/ or src/node/ alike: the package's build/ folder.
    const addon = createRequire(import.meta.url)('../../build/udp-batch.node') as UdpBatchAddon;
    return typeof addon.init === 'function' ? { addon } : { reason: 'build/udp-batch.node is not the expected addon' };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { reason: code === 'MODULE_NOT_FOUND' ? 'the native addon is not built (no C compiler at install?)' : `the native addon did not load: ${(e as Error).message}` };
  }
}

/** Whether new sockets of `createNodeNetwork()` use recvmmsg/sendmmsg, or why not. */
export function udpBatchStatus(): UdpBatchStatus {
  loaded ??= load();
  return 'addon' in loaded ? { available: true } : { available: false, reason: loaded.reason };
}

/** Environment switch: `NATKIT_RELAY_OFFLOAD=0` turns the addon's ChannelData fast path off. */
export const RELAY_OFFLOAD_ENV = 'NATKIT_RELAY_OFFLOAD';

/** Whether batch sockets offer the ChannelData fast path (`UdpSocket.channelForwarding`), or why not. */
export function channelForwardingStatus(): UdpBatchStatus {
  const batch = udpBatchStatus();
  if (!batch.available) return { available: false, reason: `no batched UDP I/O: ${batch.reason ?? '?'}` };
  const env = process.env[RELAY_OFFLOAD_ENV];
  if (env === '0' || env === 'off' || env === 'false') return { available: false, reason: `switched off (${RELAY_OFFLOAD_ENV}=${env})` };
  if (typeof loadUdpBatchAddon()?.createQuota !== 'function') return { available: false, reason: 'build/udp-batch.node is an older build without routes' };
  return { available: true };
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** `ECONNREFUSED` for 111: the code Node's own errors carry. */
export function errnoCode(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `ERRNO_${Math.abs(errno)}`;
}
