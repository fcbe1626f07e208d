// A bounded flood of STUN Binding requests, and fresh clients timed beside it: what a client
// arriving at a server under load sees. Plain RFC 5389 requests, depending on nothing from
// natkit, so that it judges any server (natkit, coturn, npm stun). Used by test/lab (in a lab
// namespace) and by test/bench/stun-server.bench.mjs.
//   node binding-flood.cjs flood|probe '{"server":{"address","port"},"seconds","burst","sockets","startAt"}'
// Both roles start at startAt (epoch ms) and print one JSON line. Every wait is bounded.
'use strict';

const dgram = require('node:dgram');
const crypto = require('node:crypto');
const role = process.argv[2];
const p = JSON.parse(process.argv[3]);
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

// The flood: as many requests as one process can send, for p.seconds from p.startAt.
async function flood() {
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
}

// Fresh clients, in a process of their own (the flood's busy event loop would delay their
// answers): one single-shot request every 100 ms from the flood's second second to its end, then
// one as the flood stops, retransmitted as RFC 8489 §6.2.1 says (RTO 500 ms).
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

async function probe() {
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
}

(role === 'flood' ? flood() : probe()).catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e) }));
  process.exit(2);
});
