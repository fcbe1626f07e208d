// Benchmark: 1,000,000 datagrams from host A behind NAT A to host B behind NAT B (after a punch)
// through @natkit/vnet, side by side with the same count over real Node dgram loopback and a bare
// in-process function call. Run after `npx tsc -b`: `node test/bench/vnet.bench.mjs [count]`.
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createVirtualNetwork, ManualClock, natPresets } from '../../packages/vnet/dist/index.js';

const COUNT = Number(process.argv[2] ?? 1_000_000);
const BATCH = 1000;
const payload = new Uint8Array(100).fill(7);

async function benchVnet() {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 1 });
  const natA = vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone });
  const natB = vnet.createRouter(vnet.internet, { nat: natPresets.portRestrictedCone });
  const a = await vnet.createHost(natA).network.bindUdp({ family: 4, port: 4000 });
  const b = await vnet.createHost(natB).network.bindUdp({ family: 4, port: 5000 });
  let received = 0;
  let seenFromA;
  b.onMessage((_data, from) => {
    received++;
    seenFromA = from;
  });
  // Punch: A's first packet opens NAT A towards B (and is filtered at NAT B); B's reply then
  // passes NAT A and opens NAT B towards A. Both NATs preserve ports.
  const aPublic = { address: natA.externalAddresses[0], port: 4000 };
  let bPublic = { address: natB.externalAddresses[0], port: 5000 };
  a.send(payload, bPublic);
  await clock.advance(0);
  bPublic = undefined;
  a.onMessage((_data, from) => {
    bPublic = from;
  });
  b.send(payload, aPublic);
  await clock.advance(0);
  if (bPublic === undefined) throw new Error('punch from B did not reach A');
  a.send(payload, bPublic);
  await clock.advance(0);
  if (received !== 1 || seenFromA.port !== 4000) throw new Error('punch from A did not reach B');
  received = 0;
  const start = performance.now();
  for (let sent = 0; sent < COUNT; ) {
    const n = Math.min(BATCH, COUNT - sent);
    for (let i = 0; i < n; i++) a.send(payload, bPublic);
    sent += n;
    await clock.advance(0);
  }
  const ms = performance.now() - start;
  await vnet.close();
  if (received !== COUNT) throw new Error(`vnet delivered ${received} of ${COUNT}`);
  return ms;
}

async function benchLoopback() {
  const rx = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const tx = createSocket('udp4');
  await new Promise((r) => rx.bind(0, '127.0.0.1', r));
  await new Promise((r) => tx.bind(0, '127.0.0.1', r));
  const port = rx.address().port;
  const buf = Buffer.from(payload);
  let received = 0;
  let wake;
  rx.on('message', () => {
    received++;
    if (wake !== undefined && received >= wake.until) wake.resolve();
  });
  const WINDOW = 16;
  let sent = 0;
  const start = performance.now();
  // Under load (2 cores shared with other work) loopback can crawl: stop after 15 s and
  // extrapolate, so that the whole benchmark always ends within ~30 s.
  while (sent < COUNT && performance.now() - start < 15_000) {
    const n = Math.min(WINDOW, COUNT - sent);
    const before = received;
    for (let i = 0; i < n; i++) tx.send(buf, port, '127.0.0.1');
    sent += n;
    // Wait for most of this window (loopback may drop a few under load); give up after 5 ms.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 5);
      wake = { until: before + n, resolve: () => (clearTimeout(timer), resolve()) };
      if (received >= wake.until) wake.resolve();
    });
  }
  const elapsed = performance.now() - start;
  tx.close();
  rx.close();
  return { ms: (elapsed * COUNT) / sent, received, sent };
}

function benchFunctionCall() {
  let received = 0;
  const handler = (data) => {
    received += data.length > 0 ? 1 : 0;
  };
  const start = performance.now();
  for (let i = 0; i < COUNT; i++) handler(new Uint8Array(payload));
  const ms = performance.now() - start;
  if (received !== COUNT) throw new Error('baseline miscounted');
  return ms;
}

const rate = (ms) => Math.round(COUNT / (ms / 1000)).toLocaleString('en-US');
const vnetMs = await benchVnet();
const loop = await benchLoopback();
const callMs = benchFunctionCall();
console.log(`datagrams: ${COUNT.toLocaleString('en-US')} (100 B each)`);
console.log(`vnet, two NATs:      ${vnetMs.toFixed(0).padStart(7)} ms  ${rate(vnetMs).padStart(12)} datagrams/s`);
const partial = loop.sent < COUNT ? `, stopped after ${loop.sent.toLocaleString('en-US')} sent; time extrapolated` : '';
console.log(`dgram loopback:      ${loop.ms.toFixed(0).padStart(7)} ms  ${rate(loop.ms).padStart(12)} datagrams/s  (${loop.received.toLocaleString('en-US')} received${partial})`);
console.log(`copy + function call:${callMs.toFixed(0).padStart(7)} ms  ${rate(callMs).padStart(12)} datagrams/s`);
console.log(`ratio vnet / loopback: ${(vnetMs / loop.ms).toFixed(2)}x the time (${(loop.ms / vnetMs).toFixed(2)}x faster)`);
console.log(`ratio vnet / function call: ${(vnetMs / callMs).toFixed(1)}x the time`);
