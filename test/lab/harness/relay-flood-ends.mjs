// The two ends of a flooded TURN channel, each run with node in a lab namespace (relay-flood.ts):
//   node relay-flood-ends.mjs peer   '{"flood":{...}|null,"deadlineMs"}'
//   node relay-flood-ends.mjs client '{"turnUrl","netUrl","server","credentials","peer","flood":{...}|null,"probeIntervalMs","deadlineMs"}'
// The peer is a plain UDP socket (node:dgram). It echoes 'P' datagrams as 'E', counts 'F' ones,
// and on the first 'H' (hello) floods its sender with 'F' datagrams when given `flood`.
// The client is natkit's TURN client (the built @natkit/turn) on a socket of its own: it allocates,
// binds a channel to the peer (permit), says hello through it, floods the peer itself when given
// `flood`, times plain STUN Binding requests to the server on the same socket while the flood
// lasts, then pings the peer through the same channel. Each prints one JSON line.
// A flood is { pps, seconds, size }: paced, at most pps * seconds datagrams. Every wait is bounded.
import dgram from 'node:dgram';
import crypto from 'node:crypto';

const role = process.argv[2];
const p = JSON.parse(process.argv[3]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
setTimeout(() => { out({ type: 'result', ok: false, error: 'deadline' }); process.exit(3); }, p.deadlineMs).unref();

/** Sends `flood.pps` datagrams a second for `flood.seconds` (bounded count and time); resolves with what it sent. */
async function pacedFlood(flood, send) {
  const total = Math.floor(flood.pps * flood.seconds);
  const start = performance.now();
  let sent = 0;
  while (sent < total && performance.now() - start < flood.seconds * 1000 + 1000) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * flood.pps));
    for (; sent < due; sent++) send(sent);
    await sleep(2);
  }
  return { sent, ms: Math.round(performance.now() - start) };
}

function payload(tag, i, size) {
  const b = Buffer.alloc(size);
  b.write(tag, 0);
  b.writeUInt32BE(i, 1);
  return b;
}

async function peer() {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  s.on('error', () => {});
  await new Promise((r) => s.bind(0, r));
  let floodReceived = 0, echoed = 0, floodResult = null, flooding = false;
  s.on('message', (m, rinfo) => {
    const tag = String.fromCharCode(m[0] ?? 0);
    if (tag === 'F') floodReceived++;
    else if (tag === 'P') { m[0] = 0x45; s.send(m, rinfo.port, rinfo.address); echoed++; }
    else if (tag === 'H' && p.flood && !flooding) {
      flooding = true;
      const chunk = payload('F', 0, p.flood.size);
      pacedFlood(p.flood, (i) => { chunk.writeUInt32BE(i, 1); s.send(chunk, rinfo.port, rinfo.address); }).then((r) => { floodResult = r; });
    }
  });
  out({ type: 'ready', port: s.address().port });
  process.once('SIGTERM', () => { out({ type: 'result', ok: true, floodReceived, echoed, flood: floodResult }); process.exit(0); });
}

/** Plain RFC 8489 Binding requests on `sock`, one every intervalMs while `active()`; each gets 3 s. */
async function probeBindings(sock, server, intervalMs, active) {
  const pending = new Map();
  const delays = [];
  let sent = 0;
  const off = sock.onMessage((data) => {
    if (data.length < 20 || data[0] !== 0x01 || data[1] !== 0x01) return;
    const key = Buffer.from(data.subarray(8, 20)).toString('hex');
    const t = pending.get(key);
    if (t !== undefined) { delays.push(performance.now() - t); pending.delete(key); }
  });
  for (let i = 0; i < 200 && active(); i++) {
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); req.writeUInt32BE(0x2112a442, 4); crypto.randomFillSync(req, 8, 12);
    pending.set(req.subarray(8, 20).toString('hex'), performance.now());
    sock.send(req, server);
    sent++;
    await sleep(intervalMs);
  }
  for (let w = 0; w < 150 && pending.size > 0; w++) await sleep(20);
  off();
  delays.sort((a, b) => a - b);
  const at = (q) => (delays.length === 0 ? null : Math.round(delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]));
  return { sent, answered: delays.length, medianMs: at(0.5), maxMs: at(1) };
}

async function client() {
  const { allocateRelay } = await import(p.turnUrl);
  const { createNodeNetwork } = await import(p.netUrl);
  const network = createNodeNetwork();
  const sock = await network.bindUdp({ family: 4 });
  let a;
  try {
    a = await allocateRelay({ server: p.server, credentials: p.credentials }, { network, socket: sock });
  } catch (e) {
    out({ type: 'result', ok: false, error: 'allocate: ' + (e && e.message) });
    process.exit(2);
  }
  const relay = a.socket;
  const t0 = performance.now();
  let floodReceived = 0, firstFloodAt = 0, helloEchoed = false;
  const echoes = new Set();
  let sentOther = 0;
  const toPeer = (b) => { relay.send(b, p.peer); sentOther++; };
  relay.onMessage((data) => {
    const tag = String.fromCharCode(data[0] ?? 0);
    if (tag === 'F') { floodReceived++; if (firstFloodAt === 0) firstFloodAt = performance.now(); }
    else if (tag === 'E' && data.length >= 5) { const i = Buffer.from(data).readUInt32BE(1); if (i === 0xffffffff) helloEchoed = true; else echoes.add(i); }
  });
  await relay.permit([p.peer]);
  // The first send to a permitted peer binds its channel in the background: ping (bounded) until
  // it is bound and a ping came back, so that what follows travels as ChannelData (the fast path's).
  for (let i = 0; i < 50 && !(helloEchoed && relay.channelOf(p.peer) !== undefined); i++) {
    toPeer(payload('P', 0xffffffff, 16));
    await sleep(100);
  }
  // Hello: the peer learns the relayed address, and a flooding peer starts.
  for (let i = 0; i < 20 && p.peerFlood && firstFloodAt === 0; i++) {
    toPeer(payload('H', 0, 16));
    await sleep(100);
  }
  const ready = { setupMs: Math.round(performance.now() - t0), relayed: a.relayed, mapped: a.mapped, channel: relay.channelOf(p.peer) ?? null, helloEchoed, floodSeen: firstFloodAt !== 0 };
  const flood = p.flood ?? p.peerFlood;
  let sentFlood = null;
  let floodDone = false;
  const own = p.flood ? pacedFlood(p.flood, (i) => relay.send(payload('F', i, p.flood.size), p.peer)).then((r) => { sentFlood = r; }) : null;
  const start = performance.now();
  // Probes from the flood's second half second (the queues are full by then) to its end.
  await sleep(500);
  const probes = await probeBindings(sock, p.server, p.probeIntervalMs, () => !floodDone && performance.now() - start < flood.seconds * 1000 - 200);
  floodDone = true;
  if (own) await own;
  // Congestion over: let the queues drain, then ping through the same channel.
  await sleep(p.drainMs);
  const receivedByEnd = floodReceived;
  for (let i = 0; i < p.pings; i++) { toPeer(payload('P', i, 64)); await sleep(50); }
  for (let w = 0; w < 50 && echoes.size < p.pings; w++) await sleep(20);
  out({ type: 'result', ok: true, ...ready, floodReceived: receivedByEnd, sentFlood, sentOther, probes, pings: p.pings, echoes: echoes.size });
  await relay.close();
  await sock.close();
  process.exit(0);
}

await (role === 'peer' ? peer() : client());
