import type { Endpoint, LogLevel, TlsServerOptions } from '@natkit/net';
import { DEFAULT_RELAY_PORTS, type TurnServerOptions } from '@natkit/turn';
import type { HandoffTarget } from './rendezvous-handoff.js';
import type { WorkerConfig } from './serve-worker.js';
import { startWorkerPool, type PrimaryRelay, type WorkerPool } from './serve-workers.js';
import { relaySlices, workerPorts } from './worker-plan.js';

export type { PrimaryRelay, WorkerPool } from './serve-workers.js';

/** What `natkit serve --workers N` hands its workers. */
export interface WorkersPlan {
  readonly count: number;
  /** `--worker-port`: the first worker's UDP port. */
  readonly base: number | undefined;
  /** The primary's UDP port (also the TCP port the workers share). */
  readonly mainPort: number;
  /** `--port 0`: the workers take ephemeral ports too. */
  readonly ephemeral: boolean;
  /** The highest UDP port the primary uses (main or alternate). */
  readonly highestUsed: number;
  readonly address: string;
  readonly level: LogLevel;
  readonly tlsFlags: { readonly tls?: TlsServerOptions; readonly tlsPort: number };
  /** The relay options, with the shared self-issued secret. */
  readonly relay: TurnServerOptions;
  /** The workers bind the main UDP port too (SO_REUSEPORT) instead of ports of their own. */
  readonly reusePort: boolean;
  /** The primary's rendezvous hand-off listener. */
  readonly rendezvous: HandoffTarget;
  /** The primary's UDP sockets (main, alternate): ports every worker refuses as peers. */
  readonly primaryUdp: readonly Endpoint[];
}

/** Splits ports and relay ports over the workers and starts them. Throws ERR_USAGE or a start failure. */
export async function startServeWorkers(plan: WorkersPlan, primary: PrimaryRelay, advertised: string | undefined, report: (line: string) => void): Promise<WorkerPool> {
  const ports = plan.reusePort ? Array.from({ length: plan.count }, () => plan.mainPort) : workerPorts(plan.count, plan.ephemeral ? 0 : plan.mainPort, plan.highestUsed, plan.base);
  const slices = relaySlices(plan.relay.relayPorts ?? DEFAULT_RELAY_PORTS, plan.count);
  // Listening ports known now (the workers report ephemeral ones when they have started).
  const fixed = [...ports, plan.mainPort, ...(plan.tlsFlags.tls === undefined ? [] : [plan.tlsFlags.tlsPort])].filter((p) => p !== 0);
  const listeners: Endpoint[] = [...plan.primaryUdp, ...fixed.map((port) => ({ address: plan.address, port }))];
  primary.addListeners(listeners);
  const configs: WorkerConfig[] = ports.map((udpPort, index) => ({
    index,
    address: plan.address,
    udpPort,
    reusePort: plan.reusePort,
    tcpPort: plan.mainPort,
    tlsPort: plan.tlsFlags.tlsPort,
    ...(plan.tlsFlags.tls === undefined ? {} : { tls: plan.tlsFlags.tls }),
    // The whole range: a port of a sibling's slice on our address is a relayed address (relay to relay).
    relay: { ...plan.relay, relayPorts: slices[index] ?? DEFAULT_RELAY_PORTS, siblingRelayPorts: plan.relay.relayPorts ?? DEFAULT_RELAY_PORTS },
    logLevel: plan.level,
    rendezvous: plan.rendezvous,
    listeners,
  }));
  return startWorkerPool(configs, { advertised, report, reusePort: plan.reusePort, primary });
}
