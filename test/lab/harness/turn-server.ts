/**
 * coturn's turnserver as the lab's independent RFC 5780 server (and TURN relay when asked), run
 * in the internet namespace on the lab's two server addresses. No file under /etc is read (-n).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import { requireTool } from './tools.js';
import { waitForUdpListeners } from './udp-listeners.js';

export interface TurnServerOptions {
  /** Default: the lab's two server addresses (RFC 5780 needs two). */
  listeningIps?: readonly string[];
  /** Default 3478; the RFC 5780 alternate port is port + 1. */
  port?: number;
  /** TURN credentials; without them the server is STUN-only (--stun-only). */
  users?: readonly { username: string; password: string }[];
  realm?: string;
  extraArgs?: readonly string[];
  /** Default 5000 ms. */
  readyTimeoutMs?: number;
}

export interface TurnServer {
  process: LabProcess;
  listeningIps: readonly string[];
  port: number;
  altPort: number;
  stop(): Promise<void>;
}

export async function startTurnServer(lab: Lab, options: TurnServerOptions = {}): Promise<TurnServer> {
  const listeningIps = options.listeningIps ?? lab.serverAddresses;
  const port = options.port ?? 3478;
  const dir = await mkdtemp(join(tmpdir(), 'natkit-turn-'));
  lab.defer(() => rm(dir, { recursive: true, force: true }));
  const args = [
    requireTool('turnserver'),
    '-n',
    '--no-cli',
    ...listeningIps.flatMap((ip) => ['-L', ip]),
    '--listening-port', String(port),
    '--alt-listening-port', String(port + 1),
    '--no-tls',
    '--no-dtls',
    '--log-file', 'stdout',
    '--simple-log',
    '--pidfile', join(dir, 'turnserver.pid'),
    '--userdb', join(dir, 'turndb'),
  ];
  if (options.users && options.users.length > 0) {
    args.push('--lt-cred-mech', '--realm', options.realm ?? 'natkit.lab');
    for (const user of options.users) args.push('--user', `${user.username}:${user.password}`);
  } else {
    args.push('--stun-only');
  }
  args.push(...(options.extraArgs ?? []));
  const child = await lab.spawn(lab.ns.inet, args);
  const stop = async () => {
    await child.stop({ graceMs: 3000 });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const endpoints = listeningIps.flatMap((address) => [{ address, port }, { address, port: port + 1 }]);
    await waitForUdpListeners(lab, lab.ns.inet, endpoints, options.readyTimeoutMs ?? 5000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- turnserver output ---\n${child.output.slice(-3000)}`);
  }
  return { process: child, listeningIps, port, altPort: port + 1, stop };
}
