// Benchmark (issue 7): throughput of an encrypted direct path against raw UDP between the same
// two sockets. A real `natkit serve` on 127.0.0.1 (port 0); two @natkit/peer peers (createPeer),
// each in its own process (two "hosts" sharing this machine's cores), connect through it and
// upgrade to the direct path. Then, per payload size (100 and 1200 B), the sender pushes COUNT
// datagrams with at most WINDOW in flight (the receiver acknowledges every 64th; a stall of
// 200 ms gives up on what is missing):
//   encrypted: PeerConnection.send() on the direct path (Noise session seal, control framing)
//   raw:       the same two UDP sockets of the peers (the @natkit/net Node adapter), bare payload
// It prints datagrams/s and Mbit/s at the receiver, CPU per datagram on each side (the whole
// process, /proc-free: process.cpuUsage() in each child), and encrypted/raw ratios.
// The cipher's cost alone (seal/open per CPU-second) is test/bench/session.bench.mjs: not repeated.
// Run after `npx tsc -b`: `node test/bench/peer-throughput.bench.mjs [count=50000] [window=256]`.
import { randomBytes } from 'node:crypto';
import { runRoleOrMain } from './child-role.mjs';
import { start, stop, waitForLine, killAll } from './turn-relay/processes.mjs';

const SIZES = [100, 1200];
const ACK_EVERY = 64;
const RAW_DATA = 0xff; // outside the session (4-6), STUN (0-3) and ChannelData (64-79) ranges: the peer ignores it
const RAW_ACK = 0xfe;
const STALL_MS = 200;
const PHASE_LIMIT_MS = 60_000;
const NATKIT = new URL('../../apps/cli/bin/natkit.js', import.meta.url).pathname;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const lines = (onLine) => {
  let buffered = '';
  process.stdin.setEncoding('utf8').on('data', (d) => {
    buffered += d;
    for (let i; (i = buffered.indexOf('\n')) >= 0; ) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      onLine(JSON.parse(line));
    }
  });
};
const u32 = (n, first = 0) => {
  const b = Buffer.alloc(5);
  b[0] = first;
  b.writeUInt32BE(n >>> 0, 1);
  return b;
};

/** A peer in this process whose one UDP socket (the one createPeer binds first) the benchmark also uses raw. */
async function makePeer(servePort) {
  const { createNodeNetwork } = await import('../../packages/net/dist/index.js');
  const { Identity } = await import('../../packages/identity/dist/index.js');
  const { createPeer } = await import('../../packages/peer/dist/index.js');
  const inner = createNodeNetwork({ receiveBufferSize: 8 << 20, maxSendQueueBytes: 8 << 20 });
  const sockets = [];
  const network = { ...inner, localAddressFor: (r) => inner.localAddressFor(r), bindUdp: async (o) => { const s = await inner.bindUdp(o); sockets.push(s); return s; } };
  const peer = await createPeer({ server: { address: '127.0.0.1', port: servePort }, identity: Identity.fromSeed(randomBytes(32)), keepaliveMs: 5_000 }, { network });
  return { peer, socket: sockets[0] };
}

async function receiver([servePort]) {
  const { peer, socket } = await makePeer(Number(servePort));
  let count = 0;
  let cpu0 = 0;
  let conn = null;
  peer.onConnection((c) => {
    conn = c;
    c.onMessage((m) => {
      if (m.length < 5) return;
      count++;
      if (count % ACK_EVERY === 0) c.send(u32(count));
    });
  });
  socket.onMessage((d, from) => {
    if (d[0] !== RAW_DATA) return;
    count++;
    if (count % ACK_EVERY === 0) socket.send(u32(count, RAW_ACK), from);
  });
  lines((cmd) => {
    if (cmd.type === 'begin') {
      count = 0;
      cpu0 = cpuMs();
      say({ type: 'begun' });
    } else if (cmd.type === 'end') say({ type: 'ended', received: count, cpuMs: cpuMs() - cpu0, path: conn?.path.kind ?? null });
  });
  say({ type: 'ready', peerId: peer.peerId, local: socket.local });
}

async function sender([servePort, receiverId, rx, count, window]) {
  const { peer, socket } = await makePeer(Number(servePort));
  const remote = JSON.parse(rx);
  const c = await peer.connect(receiverId, { signal: AbortSignal.timeout(10_000) });
  const deadline = Date.now() + 10_000;
  while (c.path.kind !== 'direct' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (c.path.kind !== 'direct') throw new Error('no direct path within 10 s');
  if (c.path.remote.port !== remote.port) throw new Error(`direct path to ${JSON.stringify(c.path.remote)}, not the receiver's socket ${JSON.stringify(remote)}`);
  let acked = 0;
  const ackOf = (m) => Buffer.from(m.buffer, m.byteOffset, m.length).readUInt32BE(1);
  c.onMessage((m) => m.length === 5 && (acked = Math.max(acked, ackOf(m))));
  socket.onMessage((d) => d[0] === RAW_ACK && d.length === 5 && (acked = Math.max(acked, ackOf(d))));
  const to = c.path.remote; // raw datagrams take the direct path's 5-tuple
  const run = async (encrypted, size) => {
    const payload = randomBytes(size);
    if (!encrypted) payload[0] = RAW_DATA;
    acked = 0;
    let sent = 0;
    let stalls = 0;
    const cpu0 = cpuMs();
    const t0 = performance.now();
    let lastProgress = t0;
    let lastAcked = 0;
    while (sent < count && performance.now() - t0 < PHASE_LIMIT_MS) {
      while (sent - acked < window && sent < count) {
        if (encrypted) c.send(payload);
        else socket.send(payload, to);
        sent++;
      }
      await new Promise((r) => setImmediate(r));
      const now = performance.now();
      if (acked !== lastAcked) [lastAcked, lastProgress] = [acked, now];
      else if (now - lastProgress > STALL_MS) [acked, lastProgress, stalls] = [sent, now, stalls + 1]; // lost: go on
    }
    const settle = performance.now() + 1000;
    while (acked < sent - (sent % ACK_EVERY) && performance.now() < settle) await new Promise((r) => setTimeout(r, 2));
    return { sent, stalls, wallMs: performance.now() - t0, cpuMs: cpuMs() - cpu0, path: c.path.kind };
  };
  lines(async (cmd) => {
    if (cmd.type === 'run') say({ type: 'ran', ...(await run(cmd.encrypted, cmd.size)) });
  });
  say({ type: 'connected', path: c.path.kind, directAfterMs: c.directAfterMs });
}

async function main([countArg, windowArg]) {
  const count = Math.ceil(Number(countArg ?? 50_000) / ACK_EVERY) * ACK_EVERY;
  const window = Number(windowArg ?? 256);
  const watchdog = setTimeout(() => {
    console.error('peer-throughput: over 300 s, stopping');
    killAll();
    process.exit(1);
  }, 300_000);
  const self = new URL(import.meta.url).pathname;
  const serve = start(process.execPath, [NATKIT, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--allow-peer', '127.0.0.0/8']);
  const children = [serve];
  try {
    const servePort = Number(/ws:\/\/127\.0\.0\.1:(\d+)\//.exec(await waitForLine(serve, (l) => /rendezvous \(WebSocket/.test(l), 15_000, 'natkit serve'))[1]);
    const rx = start(process.execPath, [self, 'receiver', String(servePort)]);
    children.push(rx);
    const ready = JSON.parse(await waitForLine(rx, (l) => l.includes('"ready"'), 15_000, 'receiver'));
    const tx = start(process.execPath, [self, 'sender', String(servePort), ready.peerId, JSON.stringify(ready.local), String(count), String(window)]);
    children.push(tx);
    const connected = JSON.parse(await waitForLine(tx, (l) => l.includes('"connected"'), 25_000, 'sender'));
    console.log(`peer-throughput: Node ${process.version}; natkit serve on 127.0.0.1:${servePort}; two peers in two processes, direct path after ${Math.round(connected.directAfterMs)} ms`);
    console.log(`${count.toLocaleString('en-US')} datagrams per case, ${window} in flight, an ack every ${ACK_EVERY}; encrypted = PeerConnection.send on the direct path, raw = the same two sockets, bare payload`);
    const ask = async (child, cmd, type) => {
      const line = waitForLine(child, (l) => l.includes(`"type":"${type}"`), PHASE_LIMIT_MS + 10_000, type);
      child.stdin.write(`${JSON.stringify(cmd)}\n`);
      return JSON.parse(await line);
    };
    const rows = [];
    for (const size of SIZES) {
      const row = { size };
      for (const encrypted of [false, true]) {
        await ask(rx, { type: 'begin' }, 'begun');
        const s = await ask(tx, { type: 'run', encrypted, size }, 'ran');
        const r = await ask(rx, { type: 'end' }, 'ended');
        if (encrypted && (s.path !== 'direct' || r.path !== 'direct')) throw new Error(`the path left direct during the run (${s.path}/${r.path})`);
        row[encrypted ? 'enc' : 'raw'] = { perSecond: (r.received / s.wallMs) * 1000, mbps: (r.received * size * 8) / (s.wallMs * 1000), txUs: (s.cpuMs * 1000) / s.sent, rxUs: (r.cpuMs * 1000) / Math.max(1, r.received), lost: s.sent - r.received, stalls: s.stalls };
      }
      rows.push(row);
    }
    const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    console.log('payload |    raw dgram/s  Mbit/s  tx us  rx us  lost stall |    enc dgram/s  Mbit/s  tx us  rx us  lost stall | enc/raw dgram/s  tx CPU  rx CPU');
    for (const { size, raw, enc } of rows) {
      const side = (x) => `${f(x.perSecond).padStart(14)} ${f(x.mbps, 1).padStart(7)} ${f(x.txUs, 2).padStart(6)} ${f(x.rxUs, 2).padStart(6)} ${String(x.lost).padStart(5)} ${String(x.stalls).padStart(5)}`;
      console.log(`${String(size).padStart(7)} | ${side(raw)} | ${side(enc)} | ${f(enc.perSecond / raw.perSecond, 3).padStart(15)} ${f(enc.txUs / raw.txUs, 2).padStart(7)} ${f(enc.rxUs / raw.rxUs, 2).padStart(7)}`);
    }
    console.log('stall: times the window waited 200 ms without an ack (then the sender went on).');
    console.log('tx/rx us: CPU (user+system) of the sending/receiving process per datagram sent/received, whole process (event loop, GC, keepalives).');
    console.log('The cipher alone: `node test/bench/session.bench.mjs` (seal/open per CPU-second, same sizes).');
  } finally {
    clearTimeout(watchdog);
    for (const child of children.reverse()) await stop(child);
  }
}

await runRoleOrMain({ receiver, sender }, main);
