import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { familyOf, formatEndpoint, type Endpoint } from '@natkit/net';
import type { AllocateRedirect, IssuedName, TurnServer } from '@natkit/turn';
import type { PrimaryMessage, WorkerConfig, WorkerMessage } from './serve-worker.js';
import { pickWorker } from './worker-plan.js';

/** How long a worker has to start (config to ready) and to stop before it is killed. */
const START_MS = 15_000;
const STOP_MS = 5_000;
/** A worker that exits this often within RESTART_WINDOW_MS is not restarted again. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const RESTART_DELAY_MS = 1000;

interface Slot {
  readonly config: WorkerConfig;
  worker?: Worker;
  /** Its UDP endpoints while it is up; undefined while it is down. */
  udp?: readonly Endpoint[] | undefined;
  /** Where it listened when last up (UDP, TCP, TLS). */
  listeners?: readonly Endpoint[];
  restarts: number[];
  stats?: string;
}

/** The primary's relay as the pool uses it: told every listening port, asked for the names it minted. */
export type PrimaryRelay = Pick<TurnServer, 'addListeners' | 'issuedNames'>;

export interface WorkerPoolOptions {
  /** Replaces the address in ALTERNATE-SERVER. */
  readonly advertised: string | undefined;
  readonly report: (line: string) => void;
  readonly reusePort: boolean;
  readonly primary: PrimaryRelay;
}

/** The worker processes of `natkit serve --workers N`, run by the primary. */
export interface WorkerPool {
  readonly lines: readonly string[];
  /** For the primary's relay: where a UDP Allocate goes (undefined: no worker is up, serve it here). */
  readonly redirect: AllocateRedirect;
  /** Hands credentials the primary minted to every worker (USERHASH finds them there). */
  shareIssued(names: readonly IssuedName[]): void;
  /** Stops every worker (killed after 5 s); returns their stop lines. */
  close(): Promise<string[]>;
}

function sendTo(worker: Worker | undefined, m: PrimaryMessage): void {
  if (worker !== undefined && worker.isConnected()) worker.send(m);
}

/**
 * Forks one node:cluster worker per config, waits until all serve, and restarts one that exits
 * (up to 5 times a minute; `report` says so). Every worker learns every process's listening
 * ports (refused as peers) and the credentials the primary mints, also after a restart.
 */
export async function startWorkerPool(configs: readonly WorkerConfig[], options: WorkerPoolOptions): Promise<WorkerPool> {
  const { advertised, report, reusePort, primary } = options;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../serve-worker-main.js', import.meta.url)), args: [], serialization: 'advanced' });
  const slots: Slot[] = configs.map((config) => ({ config, restarts: [] }));
  let stopping = false;
  const known = (): Endpoint[] => [...new Map(slots.flatMap((x) => x.listeners ?? []).map((e) => [`${e.address}|${e.port}`, e])).values()];
  const shareListeners = (): void => {
    const endpoints = known();
    primary.addListeners(endpoints);
    for (const x of slots) sendTo(x.worker, { type: 'listeners', endpoints });
  };
  const onExit = (slot: Slot, code: number | null, signal: string | null): void => {
    slot.udp = undefined;
    if (stopping) return;
    const now = Date.now();
    slot.restarts = [...slot.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    const what = `worker ${slot.config.index} (pid ${slot.worker?.process.pid ?? '?'}) exited (${signal ?? `code ${code}`})`;
    if (slot.restarts.length > MAX_RESTARTS) return report(`${what} ${MAX_RESTARTS} times within a minute: not restarted; its clients go to the other workers`);
    report(`${what}; restarting`);
    setTimeout(() => {
      if (stopping) return;
      start(slot).then(
        () => report(`worker ${slot.config.index} restarted (pid ${slot.worker?.process.pid ?? '?'}) on UDP ${(slot.udp ?? []).map(formatEndpoint).join(', ')}`),
        (e: unknown) => report(`worker ${slot.config.index} did not restart: ${e instanceof Error ? e.message : String(e)}`),
      );
    }, RESTART_DELAY_MS).unref();
  };
  const start = (slot: Slot): Promise<readonly string[]> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      slot.worker = worker;
      const timer = setTimeout(() => fail(new Error(`worker ${slot.config.index} did not start within ${START_MS / 1000} s`)), START_MS);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        worker.process.kill('SIGKILL');
        reject(e);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'waiting') {
          worker.send({ type: 'config', config: slot.config } satisfies PrimaryMessage);
          // A restarted worker: the names minted so far, the other workers' ephemeral ports.
          const names = primary.issuedNames();
          if (names.length > 0) sendTo(worker, { type: 'issued', names });
          if (known().length > 0) sendTo(worker, { type: 'listeners', endpoints: known() });
        } else if (m.type === 'ready') {
          clearTimeout(timer);
          slot.udp = m.udp;
          slot.listeners = m.listeners;
          shareListeners();
          resolve(m.lines);
        } else if (m.type === 'failed') fail(new Error(`worker ${slot.config.index}: ${m.message}`));
        else slot.stats = `worker ${slot.config.index} relay stopped; ${JSON.stringify(m.relay)}`;
      });
      worker.on('exit', (code, signal) => {
        if (slot.udp === undefined && !stopping) fail(new Error(`worker ${slot.config.index} exited while starting (${signal ?? `code ${code}`})`));
        onExit(slot, code, signal);
      });
    });
  const close = async (): Promise<string[]> => {
    stopping = true;
    await Promise.all(slots.map((s) => stopWorker(s.worker)));
    return slots.flatMap((s) => (s.stats === undefined ? [] : [s.stats]));
  };
  let tcpLines: readonly string[] = [];
  try {
    const started = await Promise.all(slots.map((s) => start(s)));
    tcpLines = started[0] ?? [];
  } catch (e) {
    await close();
    throw e;
  }
  const lines = slots.map((s) => `worker ${s.config.index} (pid ${s.worker?.process.pid ?? '?'}): TURN on UDP ${(s.udp ?? []).map(formatEndpoint).join(', ')}, relay ports ${s.config.relay.relayPorts?.low}-${s.config.relay.relayPorts?.high}`);
  lines.push(
    reusePort
      ? `UDP port ${configs[0]?.udpPort ?? '?'} shared by the ${slots.length} workers (SO_REUSEPORT): the kernel picks a client's worker by the hash of its 4-tuple`
      : 'UDP Allocates on the main port are answered 300 ALTERNATE-SERVER (signed) with the port of worker hash(5-tuple) mod N: open the worker ports too',
  );
  lines.push(...tcpLines.map((l) => `${l} (one listener shared by the ${slots.length} workers, node:cluster)`));
  const shareIssued = (names: readonly IssuedName[]): void => {
    for (const x of slots) sendTo(x.worker, { type: 'issued', names });
  };
  return { lines, redirect: (ctx) => redirectTo(slots, ctx, advertised), shareIssued, close };
}

function redirectTo(slots: readonly Slot[], ctx: Parameters<AllocateRedirect>[0], advertised: string | undefined): Endpoint | undefined {
  const up = slots.flatMap((s, i) => (s.udp === undefined ? [] : [i]));
  const i = pickWorker(ctx, up);
  const udp = i === undefined ? undefined : slots[i]?.udp;
  const to = udp?.find((e) => e.address === ctx.local.address) ?? udp?.find((e) => familyOf(e.address) === familyOf(ctx.local.address));
  if (to === undefined) return undefined;
  return { address: advertised ?? to.address, port: to.port };
}

async function stopWorker(worker: Worker | undefined): Promise<void> {
  if (worker === undefined || worker.isDead()) return;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  if (worker.isConnected()) worker.send({ type: 'stop' } satisfies PrimaryMessage);
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_MS);
  await exited;
  clearTimeout(timer);
}
