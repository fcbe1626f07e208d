/**
 * Small UDP probes run with node inside a lab namespace: what external endpoint does each socket
 * get (port allocation), does the NAT hairpin, how many packets does it lose. They speak plain
 * RFC 5389 Binding to any STUN server (coturn here, natkit's own later) and depend on nothing
 * from natkit, so they can judge natkit too.
 */
import type { Lab } from './lab.js';

export interface Endpoint {
  address: string;
  port: number;
}

// CommonJS, no dependencies: runs under `node -e` in the namespace. Every wait is bounded.
const probeScript = String.raw`
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const params = JSON.parse(process.argv[1]);
setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'deadline' })); process.exit(3); }, params.deadlineMs).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function request() {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0); b.writeUInt32BE(0x2112a442, 4); crypto.randomFillSync(b, 8, 12);
  return b;
}
function parseResponse(msg) {
  if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101 || msg.readUInt32BE(4) !== 0x2112a442) return null;
  const end = Math.min(msg.length, 20 + msg.readUInt16BE(2));
  let off = 20, xor = null, plain = null;
  while (off + 4 <= end) {
    const type = msg.readUInt16BE(off), len = msg.readUInt16BE(off + 2), v = msg.subarray(off + 4, off + 4 + len);
    if (v.length >= 8 && v[1] === 1 && (type === 0x0020 || type === 0x8020)) {
      const a = v.readUInt32BE(4) ^ 0x2112a442;
      xor = { address: [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.'), port: v.readUInt16BE(2) ^ 0x2112 };
    } else if (v.length >= 8 && v[1] === 1 && type === 0x0001) {
      plain = { address: [...v.subarray(4, 8)].join('.'), port: v.readUInt16BE(2) };
    }
    off += 4 + Math.ceil(len / 4) * 4;
  }
  return { txid: msg.subarray(8, 20).toString('hex'), mapped: xor || plain };
}
function open() {
  const sock = dgram.createSocket('udp4');
  sock.pending = new Map();
  sock.other = [];
  sock.on('message', (msg, rinfo) => {
    const res = parseResponse(msg);
    const waiter = res && sock.pending.get(res.txid);
    if (waiter) { sock.pending.delete(res.txid); waiter(res.mapped); }
    else if (!res) sock.other.push({ text: msg.toString('utf8', 0, 64), from: { address: rinfo.address, port: rinfo.port } });
  });
  sock.on('error', () => {});
  return new Promise((resolve) => sock.bind(0, () => resolve(sock)));
}
async function binding(sock, to, rtoMs = 200, tries = 5) {
  const req = request(), txid = req.subarray(8, 20).toString('hex');
  let done = null;
  const answer = new Promise((r) => { done = r; sock.pending.set(txid, r); });
  for (let i = 0; i < tries; i++) {
    sock.send(req, to.port, to.address);
    const got = await Promise.race([answer, sleep(rtoMs).then(() => undefined)]);
    if (got !== undefined) return got;
  }
  sock.pending.delete(txid); done(null);
  return null;
}
async function waitOther(sock, predicate, ms) {
  for (let t = 0; t < ms; t += 20) { const hit = sock.other.find(predicate); if (hit) return hit; await sleep(20); }
  return null;
}
async function mapping() {
  const sockets = [], results = [];
  for (let i = 0; i < params.sockets; i++) {
    const sock = await open(); sockets.push(sock);
    const mapped = [];
    for (const to of params.destinations) mapped.push(await binding(sock, to));
    results.push({ localPort: sock.address().port, mapped });
  }
  return { results };
}
async function hairpin() {
  const s1 = await open(), s2 = await open();
  const mapped = await binding(s1, params.server);
  const senderMapped = await binding(s2, params.server);
  if (!mapped) return { mapped, senderMapped, received: null, reply: null };
  const nonce = crypto.randomBytes(6).toString('hex');
  let received = null;
  for (let i = 0; i < 5 && !received; i++) {
    s2.send('hairpin:' + nonce, mapped.port, mapped.address);
    received = await waitOther(s1, (m) => m.text === 'hairpin:' + nonce, params.waitMs / 5);
  }
  let reply = null;
  if (received) {
    s1.send('back:' + nonce, received.from.port, received.from.address);
    reply = await waitOther(s2, (m) => m.text === 'back:' + nonce, params.waitMs);
  }
  return { mapped, senderMapped, localPorts: [s1.address().port, s2.address().port], received, reply };
}
async function loss() {
  const sock = await open();
  let received = 0;
  const waits = [];
  for (let i = 0; i < params.count; i++) {
    const req = request(), txid = req.subarray(8, 20).toString('hex');
    waits.push(new Promise((r) => sock.pending.set(txid, () => { received++; r(); })));
    sock.send(req, params.server.port, params.server.address);
    if ((i + 1) % params.burst === 0 && params.intervalMs > 0) await sleep(params.intervalMs);
  }
  await sleep(params.settleMs);
  return { sent: params.count, received };
}
const commands = { mapping, hairpin, loss };
commands[params.command]().then((out) => { process.stdout.write(JSON.stringify(out)); process.exit(0); },
  (err) => { process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) })); process.exit(2); });
`;

async function runProbe<T>(lab: Lab, ns: string, params: Record<string, unknown> & { deadlineMs: number }): Promise<T> {
  const result = await lab.exec(ns, [process.execPath, '-e', probeScript, '--', JSON.stringify(params)], {
    timeoutMs: params.deadlineMs + 5000,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new Error(`udp probe in ${ns} gave no JSON (code ${result.code}): ${result.stdout} ${result.stderr}`);
  }
  if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
    throw new Error(`udp probe in ${ns} failed: ${String(parsed.error)}`);
  }
  return parsed as T;
}

export interface MappingProbeResult {
  /** One entry per socket, in the order the sockets were opened (one after another). */
  results: { localPort: number; mapped: (Endpoint | null)[] }[];
}

/**
 * Opens `sockets` sockets one after another, each sending a Binding request to every destination
 * in turn (retransmitting every 200 ms, 5 times), and reports the mapped endpoints. Sockets stay
 * open until the probe ends so the NAT cannot recycle their mappings mid-probe.
 */
export function probeMappings(lab: Lab, ns: string, options: { destinations: readonly Endpoint[]; sockets: number }): Promise<MappingProbeResult> {
  if (options.sockets < 1 || options.sockets > 64) throw new RangeError('sockets must be 1..64');
  const deadlineMs = 2000 + options.sockets * options.destinations.length * 1100;
  return runProbe(lab, ns, { command: 'mapping', ...options, deadlineMs });
}

export interface HairpinProbeResult {
  /** The first socket's mapped endpoint, to which the second socket sends. */
  mapped: Endpoint | null;
  senderMapped: Endpoint | null;
  localPorts: [number, number];
  /** What the first socket received from the second via its own mapped address (null: nothing). */
  received: { text: string; from: Endpoint } | null;
  /** The second socket's receipt of the answer sent back to `received.from`. */
  reply: { text: string; from: Endpoint } | null;
}

/** RFC 5780 §3.4 style: a second socket sends to the first socket's own mapped address. */
export function probeHairpin(lab: Lab, ns: string, options: { server: Endpoint; waitMs?: number }): Promise<HairpinProbeResult> {
  const waitMs = options.waitMs ?? 1000;
  return runProbe(lab, ns, { command: 'hairpin', server: options.server, waitMs, deadlineMs: 8000 + 2 * waitMs });
}

export interface LossProbeResult {
  sent: number;
  received: number;
}

/**
 * Sends `count` Binding requests from one socket, `burst` at a time every `intervalMs` (default
 * 10 per 1 ms: gentle enough that no socket buffer overflows), waits `settleMs`, counts answers.
 */
export function probeLoss(
  lab: Lab,
  ns: string,
  options: { server: Endpoint; count: number; burst?: number; intervalMs?: number; settleMs?: number },
): Promise<LossProbeResult> {
  if (options.count < 1 || options.count > 5000) throw new RangeError('count must be 1..5000');
  const burst = Math.max(1, options.burst ?? 10);
  const intervalMs = options.intervalMs ?? 1;
  const settleMs = options.settleMs ?? 500;
  const deadlineMs = 3000 + Math.ceil(options.count / burst) * (intervalMs + 2) + settleMs;
  return runProbe(lab, ns, { command: 'loss', server: options.server, count: options.count, burst, intervalMs, settleMs, deadlineMs });
}
