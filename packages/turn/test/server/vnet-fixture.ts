import type { Endpoint, LogFields, Logger, UdpSocket } from '@natkit/net';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import { createTurnServer, type TurnServer } from '../../src/index.js';
import type { TurnServerOptions } from '../../src/server/server-options.js';
import { RawTurnClient } from './raw-turn-client.js';

export interface VnetTurnSite {
  readonly clock: ManualClock;
  /** Every line the server logged, at every level, with its fields as JSON. */
  readonly logs: string[];
  readonly server: TurnServer;
  readonly serverAddress: Endpoint;
  /** Creates a client host on the internet with its own socket. */
  client(user?: string, password?: string): Promise<RawTurnClient>;
  /** Creates a peer host on the internet with a socket that records what it receives. */
  peer(): Promise<{ socket: UdpSocket; received: { data: Uint8Array; from: Endpoint }[] }>;
  run<T>(p: Promise<T>): Promise<T>;
}

/** A TURN server on the virtual internet (public 203.0.113.0/24 addresses), users alice and bob. */
export async function vnetTurnSite(options: TurnServerOptions = {}): Promise<VnetTurnSite> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 11 });
  const host = vnet.createHost(vnet.internet);
  const address = host.addresses[0] ?? '';
  const socket = await host.network.bindUdp({ family: 4, address, port: 3478 });
  const logs: string[] = [];
  const server = createTurnServer(
    { users: new Map([['alice', 'alice-pw'], ['bob', 'bob-pw']]), realm: 'vnet.test', relayPorts: { low: 50000, high: 50099 }, ...options },
    { network: host.network, clock, wallSeconds: () => 1_700_000_000, logger: recordingLogger(logs) },
  );
  server.attachUdpSocket(socket);
  const serverAddress = { address, port: 3478 };
  return {
    clock,
    logs,
    server,
    serverAddress,
    async client(user = 'alice', password = 'alice-pw') {
      const h = vnet.createHost(vnet.internet);
      const s = await h.network.bindUdp({ family: 4 });
      return new RawTurnClient(s, serverAddress, user, password);
    },
    async peer() {
      const h = vnet.createHost(vnet.internet);
      const s = await h.network.bindUdp({ family: 4, address: h.addresses[0] ?? '' });
      const received: { data: Uint8Array; from: Endpoint }[] = [];
      s.onMessage((data, from) => received.push({ data: new Uint8Array(data), from }));
      return { socket: s, received };
    },
    run: (p) => clock.runUntil(p),
  };
}

/** A logger that records every line at every level (trace included). */
export function recordingLogger(lines: string[], scope = 'test'): Logger {
  const at = (level: string) => (message: string, fields?: LogFields): void => {
    lines.push(`${level} [${scope}] ${message} ${fields === undefined ? '' : JSON.stringify(fields)}`);
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (s) => recordingLogger(lines, `${scope}:${s}`) };
}
