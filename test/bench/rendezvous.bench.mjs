// Benchmark: the rendezvous server (@natkit/rendezvous) on 127.0.0.1.
//   1. Memory per registered peer at 100,000 simulated peers, in process: real Session objects
//      (with a transport that discards what it is sent) through the real register handler (real
//      Ed25519 signatures, real verification, the in-memory presence store, the limiters); the
//      registration ping is answered, as a live client does.
//   2. Memory per registered peer over real WebSocket connections (default 2,000, another process
//      connects them), against a bare `ws` server holding as many idle connections (the floor of
//      any WebSocket rendezvous).
//   3. Connection requests brokered per second and per server CPU-second: pairs of registered
//      clients (the client library, another process) keep a window of `connect` requests in flight;
//      natkit with RTT samples reused (default) and with a probe on every request, against a bare
//      `ws` broker that answers each request with the same two messages and no validation.
// Run after `npx tsc -b`:
//   node test/bench/rendezvous.bench.mjs [peers=100000] [connections=2000] [seconds=3]
// Only 127.0.0.1 is used; children are killed by pid; each phase is bounded by a timeout.
import { spawn, execFileSync } from 'node:child_process';
import { createServer, get } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stop } from './turn-relay/processes.mjs';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const DIST = new URL('../../packages/', import.meta.url);
const mod = (path) => import(new URL(path, DIST).href);
const WARMUP_MS = 500;
const INTRO_PAD = 'x'.repeat(900); // the bare broker's answers weigh what an introduce weighs

// ---------------------------------------------------------------- shared inputs

const NAT = {
  ipv4: { udp: true, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent', allocation: { pattern: 'preserving', step: null }, hairpinning: false, mappingLifetimeSeconds: 30 },
  ipv6: null,
};
function candidates(i) {
  const a = (i >> 8) & 255;
  const b = i & 255;
  return [
    { type: 'host', address: `192.168.${a}.${b}`, port: 40_000 },
    { type: 'srflx', address: `203.0.${a}.${b}`, port: 50_000 },
    { type: 'relay', address: '198.51.100.1', port: 60_000 + (i % 5000) },
  ];
}
const OPEN_LIMITS = {
  connectionsPerIp: 1e9,
  registrationsPerIp: { burst: 1e9, perSecond: 1e9 },
  registrationsPerPeer: { burst: 1e9, perSecond: 1e9 },
  connectsPerIp: { burst: 1e9, perSecond: 1e9 },
  connectsPerPeer: { burst: 1e9, perSecond: 1e9 },
  messagesPerConnection: { burst: 1e9, perSecond: 1e9 },
  maxBufferedBytes: 4 * 1024 * 1024,
};

/**
 * A fresh identity from a random seed. Not Identity.generate(): on Node 20.20.2 a GC inside the
 * JWK export of the Identity constructor can run the weak callback of an earlier
 * generateKeyPairSync job, which takes the key mutex the export holds: the process deadlocks (seen
 * twice in 100,000 registrations, main thread in ~KeyGenJob under ExportJWK). fromSeed makes no
 * keygen job.
 */
function newIdentity(Identity) {
  return Identity.fromSeed(randomBytes(32));
}

function heapMb() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

// ---------------------------------------------------------------- 1. in-process simulation

async function memorySim([count]) {
  const n = Number(count);
  const { Identity } = await mod('identity/dist/index.js');
  const { createServerContext } = await mod('rendezvous/dist/server/server-context.js');
  const { Session } = await mod('rendezvous/dist/server/session.js');
  const { handleRegister } = await mod('rendezvous/dist/server/handle-register.js');
  const { decodeClientMessage, REGISTER_CONTEXT } = await mod('rendezvous/dist/index.js');
  const ctx = createServerContext({ limits: OPEN_LIMITS }, {});
  let sentBytes = 0;
  let lastPing = null;
  const transport = {
    send(text) {
      sentBytes += text.length;
      if (text.startsWith('{"type":"ping"')) lastPing = JSON.parse(text).nonce;
      return true;
    },
    close() {},
    terminate() {},
  };
  const before = heapMb();
  let registerMs = 0;
  for (let i = 0; i < n; i++) {
    const session = new Session(`n0:${i.toString(36)}`, transport, { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 40_000 }, `10.${i >> 16}`, 0, OPEN_LIMITS.messagesPerConnection, ctx.random);
    ctx.sessions.set(session.id, session);
    const identity = newIdentity(Identity);
    const signature = Buffer.from(identity.sign(REGISTER_CONTEXT, Buffer.from(session.challenge, 'base64url'))).toString('base64url');
    const text = JSON.stringify({ type: 'register', peerId: identity.peerId, challenge: session.challenge, signature, nat: NAT, candidates: candidates(i) });
    const t0 = performance.now();
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) throw new Error(decoded.reason);
    await handleRegister(ctx, session, decoded.value);
    registerMs += performance.now() - t0;
    if (session.state !== 'registered') throw new Error(`peer ${i} not registered`);
    // Steady state: the registration ping is answered (a live client answers within an RTT).
    if (lastPing === null || session.onPong(lastPing, 1) === null) throw new Error(`peer ${i}: no ping to answer`);
    lastPing = null;
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve)); // let signals in
  }
  const after = heapMb();
  const stored = await ctx.store.size();
  for (const s of ctx.sessions.values()) s.dispose();
  console.log(JSON.stringify({ peers: n, stored, heapPerPeer: (after.heap - before.heap) / n, rssPerPeer: (after.rss - before.rss) / n, heapTotalMb: after.heap / 2 ** 20, registerUs: (1000 * registerMs) / n, sentBytes }));
}

// ---------------------------------------------------------------- servers (child processes)

/** An HTTP server whose GET /mem answers this process's memory after GC; upgrades go to `onUpgrade`. */
function statsServer(onUpgrade) {
  const http = createServer((req, res) => {
    if (req.url === '/mem') res.end(JSON.stringify(heapMb()));
    else res.writeHead(404).end();
  });
  http.on('upgrade', onUpgrade);
  http.listen(0, HOST, () => console.log(`READY ${http.address().port}`));
}

async function serverNatkit([rttMaxAgeMs]) {
  const { createRendezvousServer } = await mod('rendezvous/dist/index.js');
  const rendezvous = createRendezvousServer({ limits: OPEN_LIMITS, rttMaxAgeMs: Number(rttMaxAgeMs) }, {});
  statsServer(rendezvous.handleUpgrade);
}

async function serverBare() {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  const byName = new Map();
  statsServer((req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      let name = null;
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'hello') {
          name = m.name;
          byName.set(name, ws);
        } else if (m.type === 'connect') {
          const other = byName.get(m.to);
          ws.send(JSON.stringify({ type: 'introduce', requestId: m.requestId, role: 'initiator', peer: m.to, pad: INTRO_PAD }));
          other?.send(JSON.stringify({ type: 'introduce', requestId: m.requestId, role: 'responder', peer: name, pad: INTRO_PAD }));
        }
      });
      ws.on('close', () => name !== null && byName.delete(name));
    }),
  );
}

// ---------------------------------------------------------------- clients (child processes)

async function openClients(kind, port, count, onOpen) {
  const url = `ws://${HOST}:${port}/rendezvous`;
  const clients = [];
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    const part = [];
    for (let j = i; j < Math.min(count, i + batch); j++) part.push(openOne(kind, url, j));
    clients.push(...(await Promise.all(part)));
  }
  onOpen?.(clients);
  return clients;
}

async function openOne(kind, url, i) {
  if (kind === 'natkit') {
    const { Identity } = await mod('identity/dist/index.js');
    const { connectRendezvous } = await mod('rendezvous/dist/index.js');
    return connectRendezvous({ url, identity: newIdentity(Identity), nat: NAT, candidates: candidates(i), timeoutMs: 30_000, requestTimeoutMs: 30_000 });
  }
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', name: `p${i}` }));
  return { ws, name: `p${i}` };
}

async function conns([kind, port, count]) {
  await openClients(kind, port, Number(count));
  console.log('READY');
  await new Promise(() => {}); // held open until killed
}

async function loadgen([kind, port, pairs, window, seconds, serverPid]) {
  const clients = await openClients(kind, port, 2 * Number(pairs));
  let brokered = 0;
  let failed = 0;
  let running = true;
  const w = Number(window);
  const loops = [];
  for (let p = 0; p < Number(pairs); p++) {
    const [a, b] = [clients[2 * p], clients[2 * p + 1]];
    for (let k = 0; k < w; k++) loops.push(kind === 'natkit' ? natkitLoop(a, b) : bareLoop(a, b, k));
  }
  async function natkitLoop(a, b) {
    while (running) {
      try {
        await a.connect(b.peerId);
        brokered++;
      } catch {
        failed++;
      }
    }
  }
  async function bareLoop(a, b, k) {
    let seq = 0;
    while (running) {
      const requestId = `${k}.${seq++}`;
      await new Promise((resolve) => {
        const onMessage = (data) => {
          const m = JSON.parse(data.toString());
          if (m.role === 'initiator' && m.requestId === requestId) {
            a.ws.off('message', onMessage);
            resolve();
          }
        };
        a.ws.on('message', onMessage);
        a.ws.send(JSON.stringify({ type: 'connect', requestId, to: b.name }));
      });
      brokered++;
    }
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const [b0, c0, t0] = [brokered, cpuSeconds(Number(serverPid)), performance.now()];
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  const [b1, c1, t1] = [brokered, cpuSeconds(Number(serverPid)), performance.now()];
  running = false;
  console.log(JSON.stringify({ brokered: b1 - b0, elapsed: (t1 - t0) / 1000, serverCpu: c1 - c0, failed }));
  process.exit(0);
}

function cpuSeconds(pid) {
  // /proc/<pid>/stat fields 14 and 15 (utime, stime) in clock ticks; the comm field may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// ---------------------------------------------------------------- orchestration (main)

const children = new Set();
const TASKSET = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Starts a child role; pinned to `cpu` when taskset exists and `cpu` is not null. */
function start(argv, cpu, nodeFlags = []) {
  const list = [...nodeFlags, SELF, ...argv];
  const [file, args] = TASKSET && cpu !== null ? ['taskset', ['-c', String(cpu), process.execPath, ...list]] : [process.execPath, list];
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function waitForLine(child, predicate, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    child.once('exit', (code) => reject(new Error(`${what}: exited with ${code}`)));
    let buffered = '';
    child.stdout.on('data', (d) => {
      buffered += d;
      let i;
      while ((i = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (predicate(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
  });
}

function memOf(port) {
  return new Promise((resolve, reject) => {
    get({ host: HOST, port, path: '/mem' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

async function startServer(kind, extra) {
  const server = start(kind === 'natkit' ? ['server-natkit', String(extra ?? 2000)] : ['server-bare'], 0, ['--expose-gc']);
  const line = await waitForLine(server, (l) => l.startsWith('READY '), 10_000, `${kind} server`);
  return { server, port: Number(line.split(' ')[1]) };
}

async function realMemory(kind, count) {
  const { server, port } = await startServer(kind);
  try {
    const before = await memOf(port);
    const clients = start(['conns', kind, String(port), String(count)], 1);
    try {
      await waitForLine(clients, (l) => l === 'READY', 120_000, `${kind} connections`);
      await new Promise((r) => setTimeout(r, 300));
      const after = await memOf(port);
      return { name: kind, count, heapPerConn: (after.heap - before.heap) / count, rssPerConn: (after.rss - before.rss) / count };
    } finally {
      await stop(clients);
    }
  } finally {
    await stop(server);
  }
}

async function throughput(name, kind, rttMaxAgeMs, seconds) {
  const { server, port } = await startServer(kind, rttMaxAgeMs);
  try {
    const gen = start(['loadgen', kind, String(port), '50', '4', String(seconds), String(server.pid)], 1);
    const line = await waitForLine(gen, (l) => l.startsWith('{'), (seconds + 60) * 1000, `${name} load generator`);
    await stop(gen);
    const r = JSON.parse(line);
    return { name, perSecond: r.brokered / r.elapsed, perCpu: r.serverCpu > 0 ? r.brokered / r.serverCpu : NaN, cpuPct: (100 * r.serverCpu) / r.elapsed, failed: r.failed };
  } finally {
    await stop(server);
  }
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

function printTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

async function main([peers = '100000', connections = '2000', seconds = '3']) {
  const watchdog = setTimeout(() => {
    console.error('[rendezvous bench] over 500 s, giving up');
    for (const child of children) process.kill(child.pid, 'SIGKILL');
    process.exit(1);
  }, 500_000);
  try {
    console.log(`rendezvous benchmark: ${peers} simulated peers, ${connections} real connections, ${seconds} s per throughput run, taskset ${TASKSET ? 'on' : 'off'}, Node ${process.version}`);
    const sim = start(['memory-sim', peers], null, ['--expose-gc', '--max-old-space-size=4096']);
    const s = JSON.parse(await waitForLine(sim, (l) => l.startsWith('{'), 400_000, 'memory simulation'));
    await stop(sim);
    console.log(`\n1. In process, ${fmt(s.peers)} registered peers (store holds ${fmt(s.stored)}): ${fmt(s.heapPerPeer)} bytes of heap per peer (${fmt(s.heapTotalMb, 1)} MB in all), RSS ${fmt(s.rssPerPeer)} bytes per peer; decode + verify + register ${fmt(s.registerUs, 1)} us per peer\n`);

    const real = [await realMemory('natkit', Number(connections)), await realMemory('bare', Number(connections))];
    console.log(`2. Server memory per WebSocket connection, ${connections} connections (natkit: registered peers; bare ws: idle connections)\n`);
    printTable([
      ['server', 'heap bytes/conn', 'RSS bytes/conn', 'heap vs bare ws'],
      ...real.map((r) => [r.name, fmt(r.heapPerConn), fmt(r.rssPerConn), ratio(r.heapPerConn, real[1].heapPerConn)]),
    ]);

    const runs = [await throughput('natkit (RTT reused <= 2 s)', 'natkit', 2000, Number(seconds)), await throughput('natkit (RTT probe per request)', 'natkit', 0, Number(seconds)), await throughput('bare ws broker', 'bare', 0, Number(seconds))];
    const bare = runs[2];
    console.log(`\n3. Connection requests brokered (50 pairs, 4 in flight per pair, ${seconds} s)\n`);
    printTable([
      ['server', 'brokered/s', 'server CPU %', 'brokered/CPU-s', '/s vs bare', '/CPU-s vs bare', 'failed'],
      ...runs.map((r) => [r.name, fmt(r.perSecond), fmt(r.cpuPct), fmt(r.perCpu), ratio(r.perSecond, bare.perSecond), ratio(r.perCpu, bare.perCpu), r.failed]),
    ]);
  } finally {
    clearTimeout(watchdog);
    for (const child of [...children]) await stop(child);
  }
}

const [role, ...args] = process.argv.slice(2);
const roles = { 'memory-sim': memorySim, 'server-natkit': serverNatkit, 'server-bare': serverBare, conns: (a) => conns(a), loadgen };
if (role !== undefined && role in roles) {
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
  await roles[role](args);
} else {
  await main(process.argv.slice(2));
}
