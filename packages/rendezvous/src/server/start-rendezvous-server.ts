import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRendezvousServer, type RendezvousServer, type RendezvousServerComponents } from './rendezvous-server.js';
import { RENDEZVOUS_PATH, type RendezvousServerOptions } from './server-options.js';

export interface StandaloneOptions extends RendezvousServerOptions {
  /** Address to listen on (default 127.0.0.1); port 0 (default) picks a free one. */
  readonly host?: string;
  readonly port?: number;
}

export interface StandaloneRendezvousServer extends RendezvousServer {
  /** `ws://host:port/path` of the listening server. */
  readonly url: string;
  readonly port: number;
}

/** A rendezvous server on its own HTTP listener (tests, benchmarks, a server without STUN). */
export async function startRendezvousServer(options: StandaloneOptions = {}, components: RendezvousServerComponents = {}): Promise<StandaloneRendezvousServer> {
  const rendezvous = createRendezvousServer(options, components);
  const http = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close', Upgrade: 'websocket' });
    response.end('natkit rendezvous: open a WebSocket\n');
  });
  rendezvous.attach(http);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const hostText = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await rendezvous.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })();
    return closing;
  };
  return {
    ...rendezvous,
    url: `ws://${hostText}:${port}${options.path ?? RENDEZVOUS_PATH}`,
    port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
