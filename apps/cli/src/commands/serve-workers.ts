import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { familyOf, formatEndpoint, NetworkError, type Endpoint } from '@natkit/net';
import type { AllocateRedirect, IssuedName, TurnServer } from '@natkit/turn';
import type { PrimaryMessage, WorkerConfig, WorkerMessage } from './serve-worker.js';
import { pickWorker } from './worker-plan.js';
import { NO_MEMORY_REDUCER } from '../v8-tuning.js';

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

/** What the pool's parts share: the slots, the options, and whether the pool is stopping. */
interface PoolState {
  readonly slots: readonly Slot[];
  readonly options: WorkerPoolOptions;
  stopping: boolean;
}

/**
 * Forks one node:cluster worker per config, waits until all serve, and restarts one that exits
 * (up to 5 times a minute; `report` says so). Every worker learns every process's listening
 * ports (refused as peers) and the credentials the primary mints, also after a restart.
 */
export async function startWorkerPool(configs: readonly WorkerConfig[], options: WorkerPoolOptions): Promise<WorkerPool> {
  // Workers relay on their main thread too: Node's flag keeps V8's memory reducer off there (v8-tuning.ts).
  const execArgv = process.execArgv.includes(NO_MEMORY_REDUCER) ? process.execArgv : [...process.execArgv, NO_MEMORY_REDUCER];
  cluster.setupPrimary({ exec: fileURLToPath(new URL('../serve-worker-main.js', import.meta.url)), args: [], execArgv, serialization: 'advanced' });
  const state: PoolState = { slots: configs.map((config) => ({ config, restarts: [] })), options, stopping: false };
  const { slots } = state;
  const close = async (): Promise<string[]> => {
    state.stopping = true;
    await Promise.all(slots.map((s) => stopWorker(s.worker)));
    return slots.flatMap((s) => (s.stats === undefined ? [] : [s.stats]));
  };
  let tcpLines: readonly string[] = [];
  try {
    const started = await Promise.all(slots.map((s) => startSlot(state, s)));
    tcpLines = started[0] ?? [];
  } catch (e) {
    await close();
    throw e;
  }
  const shareIssued = (names: readonly IssuedName[]): void => {
    for (const x of slots) sendTo(x.worker, { type: 'issued', names });
  };
  return { lines: poolLines(state, configs, tcpLines), redirect: (ctx) => redirectTo(slots, ctx, options.advertised), shareIssued, close };
}

/** The start-up lines: each worker's ports, how clients reach them, the shared TCP/TLS listener. */
function poolLines(state: PoolState, configs: readonly WorkerConfig[], tcpLines: readonly string[]): string[] {
  const { slots } = state;
  const lines = slots.map((s) => `worker ${s.config.index} (pid ${s.worker?.process.pid ?? '?'}): TURN on UDP ${(s.udp ?? []).map(formatEndpoint).join(', ')}, relay ports ${s.config.relay.relayPorts?.low}-${s.config.relay.relayPorts?.high}`);
  lines.push(
    state.options.reusePort
      ? `UDP port ${configs[0]?.udpPort ?? '?'} shared by the ${slots.length} workers (SO_REUSEPORT): the kernel picks a client's worker by the hash of its 4-tuple`
      : 'UDP Allocates on the main port are answered 300 ALTERNATE-SERVER (signed) with the port of worker hash(5-tuple) mod N: open the worker ports too',
  );
  lines.push(...tcpLines.map((l) => `${l} (one listener shared by the ${slots.length} workers, node:cluster)`));
  return lines;
}

/** Every listening endpoint the workers reported, once each. */
function knownListeners(state: PoolState): Endpoint[] {
  return [...new Map(state.slots.flatMap((x) => x.listeners ?? []).map((e) => [`${e.address}|${e.port}`, e])).values()];
}

/** Tells the primary's relay and every worker where all the processes listen. */
function shareListeners(state: PoolState): void {
  const endpoints = knownListeners(state);
  state.options.primary.addListeners(endpoints);
  for (const x of state.slots) sendTo(x.worker, { type: 'listeners', endpoints });
}

/** Forks the slot's worker, hands it its config and resolves with its TCP/TLS lines once it serves. */
function startSlot(state: PoolState, slot: Slot): Promise<readonly string[]> {
  const { primary } = state.options;
  return new Promise((resolve, reject) => {
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
        if (knownListeners(state).length > 0) sendTo(worker, { type: 'listeners', endpoints: knownListeners(state) });
      } else if (m.type === 'ready') {
        clearTimeout(timer);
        slot.udp = m.udp;
        slot.listeners = m.listeners;
        shareListeners(state);
        resolve(m.lines);
      } else if (m.type === 'failed') fail(workerFailure(slot.config.index, m));
      else slot.stats = `worker ${slot.config.index} relay stopped; ${JSON.stringify(m.relay)}`;
    });
    worker.on('exit', (code, signal) => {
      if (slot.udp === undefined && !state.stopping) fail(new Error(`worker ${slot.config.index} exited while starting (${signal ?? `code ${code}`})`));
      onSlotExit(state, slot, code, signal);
    });
  });
}

/** A worker exited: restarted after a second, unless the pool is stopping or it exits too often. */
function onSlotExit(state: PoolState, slot: Slot, code: number | null, signal: string | null): void {
  const { report } = state.options;
  slot.udp = undefined;
  if (state.stopping) return;
  const now = Date.now();
  slot.restarts = [...slot.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
  const what = `worker ${slot.config.index} (pid ${slot.worker?.process.pid ?? '?'}) exited (${signal ?? `code ${code}`})`;
  if (slot.restarts.length > MAX_RESTARTS) return report(`${what} ${MAX_RESTARTS} times within a minute: not restarted; its clients go to the other workers`);
  report(`${what}; restarting`);
  setTimeout(() => {
    if (state.stopping) return;
    startSlot(state, slot).then(
      () => report(`worker ${slot.config.index} restarted (pid ${slot.worker?.process.pid ?? '?'}) on UDP ${(slot.udp ?? []).map(formatEndpoint).join(', ')}`),
      (e: unknown) => report(`worker ${slot.config.index} did not restart: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, RESTART_DELAY_MS).unref();
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

/** A worker's start failure as an error; a taken TCP port stays recognisable (isTcpPortTaken), so that --port 0 tries another. */
function workerFailure(index: number, m: { readonly message: string; readonly tcpPortTaken: boolean }): Error {
  const message = `worker ${index}: ${m.message}`;
  return m.tcpPortTaken ? new NetworkError('ERR_LISTEN', message, { code: 'EADDRINUSE' }) : new Error(message);
}
