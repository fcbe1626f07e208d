import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Endpoint, Logger, StreamConnection, StreamListener, StreamNetwork } from '@natkit/net';
import type { RendezvousServer } from '@natkit/rendezvous';

/**
 * `natkit serve --workers N`: the workers share the TCP port (node:cluster), but presence lives
 * in memory in one process, the primary. A worker hands each rendezvous (WebSocket) connection to
 * the primary over loopback TCP: it sends one header line, `HEADER TOKEN ADDRESS PORT\n` (the
 * token keeps other local processes from posing as a worker and naming any client address), then
 * the bytes both ways. The primary's rendezvous sees the client's own address, as without workers.
 */
export interface HandoffTarget {
  /** The primary's loopback port. */
  readonly port: number;
  /** A random token the workers learn over the cluster IPC channel. */
  readonly token: string;
}

const HEADER = 'natkit-handoff/1';
/** Longest header line (an IPv6 address and a port fit with room to spare). */
const MAX_HEADER_BYTES = 200;
/** Client bytes a worker holds while its loopback connection to the primary opens. */
const MAX_PENDING_BYTES = 64 * 1024;
const LOOPBACK = '127.0.0.1';

/** The primary's side: a loopback listener that feeds handed-off connections to `rendezvous`. */
export async function startRendezvousHandoff(rendezvous: RendezvousServer, network: StreamNetwork, logger: Logger): Promise<{ target: HandoffTarget; close: () => Promise<void> }> {
  const token = randomBytes(24).toString('base64url');
  const listener: StreamListener = await network.listenTcp({ family: 4, address: LOOPBACK, port: 0, maxWriteBuffer: 1 << 20, overflow: 'close' });
  listener.onConnection((connection) => {
    let head: Uint8Array = new Uint8Array(0);
    const off = connection.onData((chunk) => {
      head = concat(head, chunk);
      const nl = head.indexOf(0x0a);
      if (nl < 0) {
        if (head.length > MAX_HEADER_BYTES) void connection.close(0);
        return;
      }
      off();
      const remote = nl <= MAX_HEADER_BYTES ? parseHeader(Buffer.from(head.subarray(0, nl)).toString('latin1'), token) : undefined;
      if (remote === undefined) {
        logger.debug('rendezvous hand-off refused: bad header');
        void connection.close(0);
        return;
      }
      rendezvous.handleStream(withRemote(connection, remote), head.subarray(nl + 1));
    });
  });
  return { target: { port: listener.local.port, token }, close: () => listener.close() };
}

function parseHeader(line: string, token: string): Endpoint | undefined {
  const [name, got, address, port, extra] = line.split(' ');
  if (name !== HEADER || got === undefined || address === undefined || port === undefined || extra !== undefined) return undefined;
  const a = Buffer.from(got);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535 || !/^[0-9a-fA-F.:]{2,45}$/.test(address)) return undefined;
  return { address, port: Number(port) };
}

/** The connection as the rendezvous sees it: the client's address instead of the worker's. */
function withRemote(c: StreamConnection, remote: Endpoint): StreamConnection {
  return {
    get local() { return c.local; },
    remote,
    get secure() { return c.secure; },
    get bufferedBytes() { return c.bufferedBytes; },
    get closed() { return c.closed; },
    write: (d) => c.write(d),
    onData: (h) => c.onData(h),
    onClose: (h) => c.onClose(h),
    stats: () => c.stats(),
    close: (g) => c.close(g),
    [Symbol.asyncDispose]: () => c.close(),
  };
}

/** A worker's side: the HTTP slot handler that forwards a connection to the primary's rendezvous. */
export function forwardToRendezvous(target: HandoffTarget, network: StreamNetwork, logger: Logger): (connection: StreamConnection, firstBytes: Uint8Array) => void {
  return (client, firstBytes) => {
    let pending: Uint8Array[] = [firstBytes];
    let pendingBytes = firstBytes.length;
    const offPending = client.onData((d) => {
      pendingBytes += d.length;
      if (pendingBytes > MAX_PENDING_BYTES) void client.close(0);
      else pending.push(d);
    });
    network
      .connectTcp({ remote: { address: LOOPBACK, port: target.port }, maxWriteBuffer: 1 << 20, overflow: 'close', timeoutMs: 5000 })
      .then((upstream) => {
        offPending();
        if (client.closed) return void upstream.close(0);
        const header = Buffer.from(`${HEADER} ${target.token} ${client.remote.address} ${client.remote.port}\n`, 'latin1');
        upstream.write(concat(header, ...pending));
        pending = [];
        client.onData((d) => upstream.write(d));
        upstream.onData((d) => client.write(d));
        client.onClose(() => void upstream.close());
        upstream.onClose(() => void client.close());
      })
      .catch((e: unknown) => {
        logger.warn('rendezvous hand-off to the primary failed', { error: e instanceof Error ? e.message : String(e) });
        void client.close(0);
      });
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
