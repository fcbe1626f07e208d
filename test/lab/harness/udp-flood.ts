/**
 * A bounded flood of STUN Binding requests from a lab namespace, with fresh requests timed during
 * and after it: what a client arriving at a server under load sees. Plain RFC 5389 requests from
 * `node -e`, depending on nothing from natkit. Every loop is bounded in time.
 */
import type { Lab } from './lab.js';

export interface FloodOptions {
  server: { address: string; port: number };
  /** Length of the flood (at most 20 s). */
  seconds: number;
  /** Requests sent per socket per event-loop turn. Default 64. */
  burst?: number;
  /** Sending sockets. Default 4. */
  sockets?: number;
}

export interface FloodResult {
  sent: number;
  answered: number;
  /** Single-shot fresh requests sent during the flood (one every 100 ms after the first second), and how many got an answer. */
  probes: number;
  probesAnswered: number;
  /** Delays of those answers, in ms (null when none came). */
  probeMedianMs: number | null;
  probeMaxMs: number | null;
  /** Milliseconds from a fresh request's first send to its answer, sent as the flood stops and retransmitted at 0.5 and 1.5 s (null: none within 3 s). */
  freshAfterMs: number | null;
}

const common = String.raw`
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const p = JSON.parse(process.argv[1]);
setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'deadline' })); process.exit(3); }, p.startAt - Date.now() + p.seconds * 1000 + 10000).unref();
const sleepUntil = (t) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
function request() {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0); b.writeUInt32BE(0x2112a442, 4); crypto.randomFillSync(b, 8, 12);
  return b;
}
function open() {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  s.on('error', () => {});
  return new Promise((resolve) => s.bind(0, () => resolve(s)));
}
`;

// The flood: as many requests as one process can send, for p.seconds from p.startAt.
const floodScript = common + String.raw`
(async () => {
  const socks = [];
  let sent = 0, answered = 0, running = true;
  for (let i = 0; i < p.sockets; i++) { const s = await open(); s.on('message', () => answered++); socks.push(s); }
  const req = request();
  await sleepUntil(p.startAt);
  const pump = () => {
    if (!running) return;
    for (const s of socks) for (let k = 0; k < p.burst; k++) { s.send(req, p.server.port, p.server.address); sent++; }
    setImmediate(pump);
  };
  pump();
  await sleepUntil(p.startAt + p.seconds * 1000);
  running = false;
  await new Promise((r) => setTimeout(r, 200));
  socks.forEach((s) => s.close());
  process.stdout.write(JSON.stringify({ sent, answered }));
})();
`;

// Fresh clients, in a process of their own (the flood's busy event loop would delay their
// answers): one single-shot request every 100 ms from the flood's second second to its end, then
// one as the flood stops, retransmitted as RFC 8489 §6.2.1 says (RTO 500 ms).
const probeScript = common + String.raw`
async function fresh() {
  const s = await open();
  const req = request();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timers = [0, 500, 1500].map((at) => setTimeout(() => s.send(req, p.server.port, p.server.address), at));
    const give = setTimeout(() => done(null), 3000);
    function done(ms) { timers.forEach(clearTimeout); clearTimeout(give); s.close(); resolve(ms); }
    s.on('message', (m) => { if (m.length >= 20 && m.subarray(8, 20).equals(req.subarray(8, 20))) done(Math.round(performance.now() - t0)); });
  });
}
(async () => {
  const prober = await open();
  const pending = new Map();
  const delays = [];
  let probes = 0;
  prober.on('message', (m) => {
    const key = m.subarray(8, 20).toString('hex');
    const t = pending.get(key);
    if (t !== undefined) { pending.delete(key); delays.push(performance.now() - t); }
  });
  await sleepUntil(p.startAt + 1000);
  const ticker = setInterval(() => {
    const q = request();
    pending.set(q.subarray(8, 20).toString('hex'), performance.now());
    prober.send(q, p.server.port, p.server.address);
    probes++;
  }, 100);
  await sleepUntil(p.startAt + p.seconds * 1000);
  clearInterval(ticker);
  await new Promise((r) => setTimeout(r, 50));
  const after = await fresh();
  prober.close();
  delays.sort((a, b) => a - b);
  const median = delays.length ? Math.round(delays[Math.floor((delays.length - 1) / 2)]) : null;
  const max = delays.length ? Math.round(delays[delays.length - 1]) : null;
  process.stdout.write(JSON.stringify({ probes, probesAnswered: delays.length, probeMedianMs: median, probeMaxMs: max, freshAfterMs: after }));
})();
`;

/** Runs the flood and the fresh clients in `ns`, side by side, and returns what they saw. */
export async function runBindingFlood(lab: Lab, ns: string, options: FloodOptions): Promise<FloodResult> {
  const seconds = Math.min(20, Math.max(2, options.seconds));
  const params = JSON.stringify({ server: options.server, seconds, burst: options.burst ?? 64, sockets: options.sockets ?? 4, startAt: Date.now() + 1500 });
  const timeoutMs = seconds * 1000 + 15_000;
  const [flood, probe] = await Promise.all([
    lab.exec(ns, [process.execPath, '-e', floodScript, params], { timeoutMs }),
    lab.exec(ns, [process.execPath, '-e', probeScript, params], { timeoutMs }),
  ]);
  try {
    return { ...(JSON.parse(flood.stdout) as { sent: number; answered: number }), ...(JSON.parse(probe.stdout) as Omit<FloodResult, 'sent' | 'answered'>) };
  } catch {
    throw new Error(`flood: no result (exit ${flood.code}/${probe.code}): ${flood.stdout.slice(0, 200)} ${probe.stdout.slice(0, 200)} ${flood.stderr.slice(0, 200)}`);
  }
}
