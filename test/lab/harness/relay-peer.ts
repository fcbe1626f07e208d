/**
 * Two ends of a relayed path, each run with node inside a lab host: natkit's TURN client
 * (`allocateRelay`, the built @natkit/turn) allocates on a relay and either echoes what its
 * relayed address receives, or pings another relayed address and reports the round trips.
 * Relay to relay: both hosts may sit behind symmetric NATs or a network without UDP.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';

const repo = resolve(import.meta.dirname, '../../..');
const turnUrl = pathToFileURL(resolve(repo, 'packages/turn/dist/index.js')).href;
const netUrl = pathToFileURL(resolve(repo, 'packages/net/dist/index.js')).href;

// ESM under `node --input-type=module -e`. Every wait is bounded by `deadlineMs`.
const script = String.raw`
const { allocateRelay } = await import(${JSON.stringify(turnUrl)});
const { createNodeNetwork } = await import(${JSON.stringify(netUrl)});
const p = JSON.parse(process.argv[1]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
setTimeout(() => { out({ type: 'result', ok: false, error: 'deadline' }); process.exit(3); }, p.deadlineMs).unref();
const network = createNodeNetwork();
let a;
try {
  a = await allocateRelay({ server: p.server, credentials: p.credentials, transport: p.transport, ...(p.ca ? { tls: { ca: p.ca } } : {}) }, { network });
} catch (e) {
  out({ type: 'result', ok: false, error: 'allocate: ' + (e && e.message) });
  process.exit(2);
}
const relay = a.socket;
if (p.mode === 'echo') {
  await relay.permit(p.permitOwnRelayed ? [a.relayed] : p.permitAddresses.map((address) => ({ address, port: 1 })));
  relay.onMessage((data, from) => relay.send(data, from));
  out({ type: 'ready', relayed: a.relayed, mapped: a.mapped });
  process.once('SIGTERM', async () => { await relay.close(); process.exit(0); });
} else {
  const rtts = [];
  const sentAt = new Map();
  relay.onMessage((data) => {
    const text = Buffer.from(data).toString();
    const i = Number(text.slice(5));
    const t = sentAt.get(i);
    if (t !== undefined) { rtts.push(performance.now() - t); sentAt.delete(i); }
  });
  await relay.permit([p.target]);
  for (let i = 0; i < p.count; i++) {
    sentAt.set(i, performance.now());
    relay.send(Buffer.from('ping ' + i), p.target);
    await new Promise((r) => setTimeout(r, p.intervalMs));
  }
  for (let w = 0; w < 100 && rtts.length < p.count; w++) await new Promise((r) => setTimeout(r, 20));
  rtts.sort((x, y) => x - y);
  out({ type: 'result', ok: rtts.length === p.count, sent: p.count, received: rtts.length, relayed: a.relayed, mapped: a.mapped,
    transport: a.transport, medianRttMs: rtts[Math.floor(rtts.length / 2)] ?? null, missing: [...sentAt.keys()] });
  await relay.close();
  process.exit(0);
}
`;

export interface RelayEndpoint {
  address: string;
  port: number;
}

export interface RelayPeerOptions {
  server: RelayEndpoint;
  credentials: { username: string; password: string };
  transport: 'udp' | 'tcp' | 'tls';
  /** PEM the TLS client trusts (the relay's self-signed certificate). */
  ca?: string;
  deadlineMs?: number;
}

export interface RelayPingResult {
  ok: boolean;
  sent?: number;
  received?: number;
  relayed?: RelayEndpoint;
  mapped?: RelayEndpoint;
  transport?: string;
  medianRttMs?: number | null;
  error?: string;
  raw: string;
}

function argv(params: object): string[] {
  return [process.execPath, '--input-type=module', '-e', script, JSON.stringify(params)];
}

/**
 * Starts an echo behind `ns`: resolves with its relayed address once allocated and permitted.
 * It permits the relay's IPs (`permit`, default the server's), where the other end's relayed
 * address lives. Permissions go by IP: 'own-relayed-address' permits its own relayed address,
 * which opens the relay's IP too and which a server with the default peer filter accepts (a
 * relayed address it holds), where it refuses its IP on any other port.
 */
export async function startRelayEcho(lab: Lab, ns: string, options: RelayPeerOptions, permit?: readonly string[] | 'own-relayed-address'): Promise<{ process: LabProcess; relayed: RelayEndpoint }> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const own = permit === 'own-relayed-address';
  const params = { ...options, mode: 'echo', permitAddresses: own ? [] : (permit ?? [options.server.address]), permitOwnRelayed: own, deadlineMs };
  const proc = await lab.spawn(ns, argv(params));
  await proc.waitForOutput(/"type":"(ready|result)"/, 15_000);
  const line = proc.stdout.split('\n').find((l) => l.includes('"type"'));
  const parsed = JSON.parse(line ?? '{}') as { type?: string; relayed?: RelayEndpoint; error?: string };
  if (parsed.type !== 'ready' || parsed.relayed === undefined) throw new Error(`relay echo in ${ns} failed: ${proc.output}`);
  return { process: proc, relayed: parsed.relayed };
}

/** Pings `target` (a relayed address) from behind `ns` through its own allocation; every ping counts, the first included. */
export async function runRelayPing(lab: Lab, ns: string, target: RelayEndpoint, options: RelayPeerOptions & { count?: number; intervalMs?: number }): Promise<RelayPingResult> {
  const deadlineMs = options.deadlineMs ?? 30_000;
  const params = { ...options, mode: 'ping', target, count: options.count ?? 20, intervalMs: options.intervalMs ?? 10, deadlineMs };
  const r = await lab.exec(ns, argv(params), { timeoutMs: deadlineMs + 5000 });
  const line = r.stdout.split('\n').find((l) => l.includes('"type":"result"'));
  try {
    return { ...(JSON.parse(line ?? '') as Omit<RelayPingResult, 'raw'>), raw: r.stdout + r.stderr };
  } catch {
    return { ok: false, error: `no result (exit ${String(r.code)})`, raw: r.stdout + r.stderr };
  }
}
