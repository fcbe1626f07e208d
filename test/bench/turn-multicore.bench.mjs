// Benchmark (evaluation of multi-core for the relay): relayed ChannelData packets per second over
// TURN-over-TCP with the relay in ONE process, then split over TWO processes, same load. Each
// relay process is a complete natkit TURN server (createTurnServer + the TCP stream route + port
// mux) on its own port: exactly what a worker of a "one port (or relay range) per worker" design
// runs; a cluster-shared TCP listener only adds a per-connection hand-off, nothing per packet.
// Load: C TCP clients (split evenly over the relays), each with a channel to one UDP echo peer
// (a child process), a closed loop of W packets in flight. After a warm-up, counts echoed packets
// for S seconds and reads each relay's CPU time from /proc/<pid>/stat.
//   node test/bench/turn-multicore.bench.mjs [seconds=4] [clients=8] [window=8] [size=100]
// A third run puts two node:cluster workers behind ONE shared TCP port (`exclusive: false`; the
// primary accepts and hands each connection to a worker): the mechanism a multi-core
// `natkit serve` would use for TCP/TLS ("2c" in the table).
// Only 127.0.0.1; children are killed by pid; a watchdog bounds the run.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const USER = 'bench';
const PASS = 'bench-secret';
const WARMUP_MS = 1000;
const BUFFER = 4 * 1024 * 1024;

async function relay(port = 0, exclusive = true) {
  const { createNodeNetwork } = await import('../../packages/net/dist/index.js');
  const { createTurnServer, createTurnStreamRoute, createPortMux } = await import('../../packages/turn/dist/index.js');
  const network = createNodeNetwork({ receiveBufferSize: BUFFER, sendBufferSize: BUFFER });
  const server = createTurnServer({ users: new Map([[USER, PASS]]), allowPeers: ['127.0.0.1/32'], relayAddresses: [HOST] }, { network });
  const mux = createPortMux({ turn: createTurnStreamRoute(server) });
  const listener = await network.listenTcp({ family: 4, address: HOST, port, exclusive, maxWriteBuffer: 1 << 20, overflow: 'drop' });
  mux.attach(listener);
  if (process.send) process.send('READY');
  else console.log(`READY ${listener.local.port}`);
}

async function echo() {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket({ type: 'udp4', recvBufferSize: BUFFER, sendBufferSize: BUFFER });
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, HOST, () => console.log(`READY ${socket.address().port}`));
}

function start(role) {
  const child = spawn(process.execPath, [SELF, role], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start`)), 10_000);
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(String(d));
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

/** Two node:cluster workers sharing one TCP port (the primary hands connections out round robin). */
async function startCluster(workers) {
  const cluster = (await import('node:cluster')).default;
  const { createServer } = await import('node:net');
  const probe = createServer();
  const port = await new Promise((resolve) => probe.listen(0, HOST, () => resolve(probe.address().port)));
  await new Promise((resolve) => probe.close(resolve));
  cluster.setupPrimary({ exec: SELF, args: ['cluster-worker', String(port)], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const forked = [];
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork();
    forked.push(worker);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('cluster worker did not start')), 10_000);
      worker.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return { port, children: forked.map((w) => w.process) };
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
}

/** One TURN client over TCP: Allocate (401, then authenticated), ChannelBind to the echo, then a closed loop. */
async function client(stun, turn, relayPort, peer, channel, window, size, counter) {
  const socket = createConnection({ host: HOST, port: relayPort, noDelay: true });
  await new Promise((ok, fail) => socket.once('connect', ok).once('error', fail));
  const deframer = new turn.StreamDeframer();
  let waiting;
  const packet = turn.encodeChannelData(channel, new Uint8Array(size), { pad: true });
  socket.on('data', (chunk) => {
    const r = deframer.push(chunk);
    if (!r.ok) throw new Error(r.reason);
    for (const f of r.value) {
      if (f.kind === 'channel-data') {
        counter.n += 1;
        if (!counter.stop) socket.write(packet);
      } else waiting?.(stun.decodeMessage(Uint8Array.from(f.bytes)).value);
    }
  });
  const request = (method, attributes, key) =>
    new Promise((resolve) => {
      waiting = resolve;
      socket.write(stun.encodeMessage({ method, class: 'request', transactionId: stun.createTransactionId(), attributes }, key ? { integrityKey: key } : {}));
    });
  const transport = turn.requestedTransport(turn.TRANSPORT_UDP);
  const challenge = await request(turn.TurnMethod.Allocate, [transport]);
  const realm = stun.readRealm(challenge);
  const auth = [stun.username(USER), stun.realm(realm), stun.nonce(stun.readNonce(challenge))];
  const key = stun.longTermKey(USER, realm, PASS);
  const allocated = await request(turn.TurnMethod.Allocate, [transport, ...auth], key);
  if (allocated.class !== 'success') throw new Error('allocate failed');
  const bound = await request(turn.TurnMethod.ChannelBind, [turn.channelNumber(channel), turn.xorPeerAddress(peer), ...auth], key);
  if (bound.class !== 'success') throw new Error('channel bind failed');
  for (let i = 0; i < window; i++) socket.write(packet);
  return socket;
}

async function measure(relayCount, { seconds, clients, window, size }, shared = false) {
  const stun = await import('../../packages/stun/dist/index.js');
  const turn = await import('../../packages/turn/dist/index.js');
  const children = [];
  try {
    const peer = await start('echo');
    children.push(peer.child);
    const relays = [];
    if (shared) {
      const { port, children: workers } = await startCluster(relayCount);
      for (const child of workers) relays.push({ child, port });
    } else {
      for (let i = 0; i < relayCount; i++) relays.push(await start('relay'));
    }
    children.push(...relays.map((r) => r.child));
    const counter = { n: 0, stop: false };
    const sockets = [];
    for (let i = 0; i < clients; i++) {
      const r = relays[i % relayCount];
      sockets.push(await client(stun, turn, r.port, { address: HOST, port: peer.port }, 0x4000 + i, window, size, counter));
    }
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const cpu0 = relays.map((r) => cpuSeconds(r.child.pid));
    const n0 = counter.n;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const packets = counter.n - n0;
    const elapsed = (performance.now() - t0) / 1000;
    const perRelay = relays.map((r, i) => cpuSeconds(r.child.pid) - cpu0[i]);
    const cpu = perRelay.reduce((sum, c) => sum + c, 0);
    counter.stop = true;
    for (const s of sockets) s.destroy();
    // Each echoed packet crossed the relay twice (client -> peer, peer -> client).
    const relayed = (2 * packets) / elapsed;
    return { relays: shared ? `${relayCount}c` : String(relayCount), relayedPerSecond: relayed, mbitPerSecond: (relayed * size * 8) / 1e6, cpuSecondsPerMillion: (cpu / (2 * packets)) * 1e6, relayCpuSeconds: cpu, perRelay };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

async function main() {
  const [seconds = 4, clients = 8, window = 8, size = 100] = process.argv.slice(2).map(Number);
  const watchdog = setTimeout(() => {
    console.error('turn-multicore bench: watchdog fired');
    process.exit(2);
  }, 120_000);
  const options = { seconds, clients, window, size };
  const one = await measure(1, options);
  const two = await measure(2, options);
  const cluster = await measure(2, options, true);
  const row = (r) =>
    `${String(r.relays).padStart(6)} | ${Math.round(r.relayedPerSecond).toString().padStart(11)} | ${r.mbitPerSecond.toFixed(1).padStart(7)} | ${r.cpuSecondsPerMillion.toFixed(1).padStart(12)} | ${r.relayCpuSeconds.toFixed(2)} (${r.perRelay.map((c) => c.toFixed(2)).join(' + ')})`;
  console.log(`TURN over TCP, ChannelData ${size} B, ${clients} clients, window ${window}, ${seconds} s; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log('relays | relayed/s   | Mbit/s  | CPU s / 1M   | relay CPU s');
  console.log(row(one));
  console.log(row(two));
  console.log(row(cluster));
  console.log(`ratio two/one: ${(two.relayedPerSecond / one.relayedPerSecond).toFixed(2)}x; cluster (2c, one shared port)/one: ${(cluster.relayedPerSecond / one.relayedPerSecond).toFixed(2)}x`);
  clearTimeout(watchdog);
  process.exit(0);
}

const role = process.argv[2];
if (role === 'relay') await relay();
else if (role === 'cluster-worker') await relay(Number(process.argv[3]), false);
else if (role === 'echo') await echo();
else await main();
