// Benchmark: the per-datagram cost of @natkit/peer's encrypted session (ChaCha20-Poly1305 via
// node:crypto, explicit counters, replay window) next to the anchors: a raw copy of the payload
// into a new buffer (what an unencrypted path costs at least) and a bare node:crypto
// ChaCha20-Poly1305 seal with 14 bytes of associated data (the cipher alone, no framing). Also
// full handshakes per second. Rates are per CPU-second of this process (the machine is shared).
// Last, the question in loopback form: datagrams over real UDP on 127.0.0.1 (sender and
// receiver in this process), raw against sealed + opened, throughput and CPU per datagram.
// Run after `npx tsc -b`: `node test/bench/session.bench.mjs [cpuMsPerCase]`.
import { createCipheriv, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Identity } from '../../packages/identity/dist/index.js';
import { HandshakeInitiator, HandshakeResponder } from '../../packages/peer/dist/index.js';

const MS = Number(process.argv[2] ?? 1500);
const BATCH = 2000;
const SIZES = [100, 1200];
let ids = 1;

function establish() {
  const alice = Identity.generate();
  const bob = Identity.generate();
  const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: ids++, timestamp: Date.now() });
  const responder = new HandshakeResponder({ identity: bob, allocateId: () => ids++ });
  const accepted = responder.handleInit(initiator.packet, 0);
  if (!accepted.ok) throw new Error(accepted.reason);
  const done = initiator.handleResponse(accepted.value.response, 0);
  if (!done.ok) throw new Error(done.reason);
  return { tx: done.session, rx: accepted.value.session };
}

/** CPU milliseconds (user + system) of this process: less disturbed than wall time on a shared machine. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `batch()` (BATCH operations) until MS of CPU time elapse; operations per CPU-second. */
function rate(batch) {
  for (let i = 0; i < 3; i++) batch(); // warm-up
  let n = 0;
  const start = cpuMs();
  let elapsed = 0;
  while (elapsed < MS) {
    batch();
    n += BATCH;
    elapsed = cpuMs() - start;
  }
  return (n / elapsed) * 1000;
}

function benchSize(size) {
  const payload = randomBytes(size);
  let sink = 0;
  const copy = rate(() => {
    for (let i = 0; i < BATCH; i++) {
      const out = Buffer.allocUnsafe(size);
      payload.copy(out);
      sink += out[0];
    }
  });
  const key = randomBytes(32);
  const nonce = Buffer.alloc(12);
  const aad = randomBytes(14); // the session's header is its associated data
  const bare = rate(() => {
    for (let i = 0; i < BATCH; i++) {
      nonce.writeUInt32LE(i, 4);
      const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
      c.setAAD(aad, { plaintextLength: size });
      const body = c.update(payload);
      c.final();
      sink += body[0] + c.getAuthTag()[0];
    }
  });
  const { tx } = establish();
  const seal = rate(() => {
    for (let i = 0; i < BATCH; i++) sink += tx.seal(payload, 0)[0];
  });
  // open: every counter opens once, so each batch opens packets sealed beforehand (not timed)
  let pair = establish();
  let ready = [];
  const refill = () => {
    if (pair.tx.stats.sent > 200_000) pair = establish();
    ready = Array.from({ length: BATCH }, () => pair.tx.seal(payload, 0));
  };
  let openMs = 0;
  let opened = 0;
  for (let round = 0; openMs < MS || round < 4; round++) {
    refill();
    const start = cpuMs();
    for (const packet of ready) {
      const r = pair.rx.open(packet, 0);
      if (!r.ok) throw new Error(`open failed: ${r.reason}`);
      sink += r.payload.length;
    }
    if (round >= 2) {
      openMs += cpuMs() - start;
      opened += BATCH;
    }
  }
  const open = (opened / openMs) * 1000;
  if (sink === -1) console.log(sink);
  return { size, copy, bare, seal, open };
}

function handshakes() {
  const alice = Identity.generate();
  const bob = Identity.generate();
  const responder = new HandshakeResponder({ identity: bob, allocateId: () => ids++ });
  let timestamp = Date.now();
  let n = 0;
  const start = cpuMs();
  while (cpuMs() - start < MS) {
    const initiator = new HandshakeInitiator({ identity: alice, remotePeerId: bob.peerId, localId: 1, timestamp: timestamp++ });
    const accepted = responder.handleInit(initiator.packet, 0);
    if (!accepted.ok || !initiator.handleResponse(accepted.value.response, 0).ok) throw new Error('handshake failed');
    n++;
  }
  return (n / (cpuMs() - start)) * 1000;
}

const LOOPBACK_COUNT = Number(process.env.NATKIT_BENCH_LOOPBACK_COUNT ?? 100_000);
const WINDOW = 512; // datagrams in flight, so the receive buffer never overflows

async function loopback(size, encrypted) {
  const rx = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  const tx = createSocket('udp4');
  try {
    await new Promise((resolve) => rx.bind(0, '127.0.0.1', resolve));
    await new Promise((resolve) => tx.bind(0, '127.0.0.1', resolve));
    const port = rx.address().port;
    const pair = establish();
    const payload = randomBytes(size);
    let received = 0;
    let failed = 0;
    rx.on('message', (msg) => {
      received++;
      if (encrypted && !pair.rx.open(msg, 0).ok) failed++;
    });
    const startCpu = cpuMs();
    const start = performance.now();
    const deadline = start + 60_000;
    let sent = 0;
    while (sent < LOOPBACK_COUNT && performance.now() < deadline) {
      while (sent - received < WINDOW && sent < LOOPBACK_COUNT) {
        tx.send(encrypted ? pair.tx.seal(payload, 0) : payload, port, '127.0.0.1');
        sent++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const settle = performance.now() + 1000;
    while (received < sent && performance.now() < settle) await new Promise((resolve) => setTimeout(resolve, 5));
    const wallMs = performance.now() - start;
    const cpu = cpuMs() - startCpu;
    if (failed > 0) throw new Error(`${failed} sealed datagrams did not open`);
    return { size, encrypted, sent, received, perSecond: (received / wallMs) * 1000, cpuUsPerDatagram: (cpu * 1000) / received };
  } finally {
    rx.close();
    tx.close();
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(11);
const mbs = (ops, size) => ((ops * size) / 1e6).toFixed(1).padStart(8);
console.log(`session benchmark: Node ${process.version}, ${MS} CPU-ms per case, ${BATCH} operations per batch; rates are per CPU-second`);
console.log('payload | raw copy ops/s   MB/s | bare chacha ops/s   MB/s | session seal ops/s   MB/s | session open ops/s   MB/s | seal/copy open/copy seal/bare');
const rows = SIZES.map(benchSize);
for (const r of rows) {
  console.log(
    `${String(r.size).padStart(7)} | ${fmt(r.copy)} ${mbs(r.copy, r.size)} | ${fmt(r.bare)} ${mbs(r.bare, r.size)} | ${fmt(r.seal)} ${mbs(r.seal, r.size)} | ${fmt(r.open)} ${mbs(r.open, r.size)} | ${(r.seal / r.copy).toFixed(3).padStart(9)} ${(r.open / r.copy).toFixed(3).padStart(9)} ${(r.seal / r.bare).toFixed(3).padStart(9)}`,
  );
}
for (const r of rows) {
  console.log(`CPU per message at ${r.size} B: seal ${(1e6 / r.seal).toFixed(2)} us, open ${(1e6 / r.open).toFixed(2)} us, raw copy ${(1e6 / r.copy).toFixed(3)} us`);
}
console.log(`\nloopback UDP, ${LOOPBACK_COUNT.toLocaleString('en-US')} datagrams per case, ${WINDOW} in flight, sender and receiver in this process`);
console.log('payload | raw dgram/s  CPU us/dgram | encrypted dgram/s  CPU us/dgram | throughput enc/raw  CPU enc/raw | lost raw/enc');
for (const size of SIZES) {
  const raw = await loopback(size, false);
  const enc = await loopback(size, true);
  console.log(
    `${String(size).padStart(7)} | ${fmt(raw.perSecond)} ${raw.cpuUsPerDatagram.toFixed(2).padStart(13)} | ${fmt(enc.perSecond).padStart(17)} ${enc.cpuUsPerDatagram.toFixed(2).padStart(13)} | ${(enc.perSecond / raw.perSecond).toFixed(3).padStart(18)} ${(enc.cpuUsPerDatagram / raw.cpuUsPerDatagram).toFixed(3).padStart(12)} | ${raw.sent - raw.received}/${enc.sent - enc.received}`,
  );
}
const hs = handshakes();
console.log(`handshakes (init + response + finish, both sides in one process): ${fmt(hs).trim()}/s, ${(1e3 / hs).toFixed(2)} ms each`);
