// Benchmark: STUN Binding responses per second and per server CPU-second on 127.0.0.1, side by
// side: our server (@natkit/stun), the npm `stun` package's server, coturn (turnserver, STUN only,
// one relay thread) and a bare Node dgram echo. Each server runs in its own child process; the
// same load generator (another child) keeps a fixed window of requests in flight on several
// sockets, warms up, then counts responses for a fixed time and reads the server's CPU time from
// /proc/<pid>/stat. Run after `npx tsc -b`:
//   node test/bench/stun-server.bench.mjs [seconds=3] [window=64]
// Only 127.0.0.1 is used; children are killed by pid; the whole run is bounded by a watchdog.
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { congestedSkipReason, runCongestedEgress } from './congested-egress.mjs';
import { runRoleOrMain } from './child-role.mjs';

const SELF = fileURLToPath(import.meta.url);
const HOST = '127.0.0.1';
const SOCKETS = 4;
const WARMUP_MS = 500;
const BUFFER = 4 * 1024 * 1024;

// ---------------------------------------------------------------- servers (child processes)

// Extra arguments for the congested-egress case: the host, the send-queue bound ('default' or a
// number of bytes, 'Infinity' for none) and 'serve-buffers' for the socket buffers of `natkit
// serve` (4 MiB to receive, the system's default to send).
async function natkit([port, host = HOST, maxSendQueueBytes = 'default', buffers = 'bench']) {
  const { createNodeNetwork } = await import('../../packages/net/dist/index.js');
  const { startStunServer } = await import('../../packages/stun/dist/index.js');
  const queue = maxSendQueueBytes === 'default' ? {} : { maxSendQueueBytes: Number(maxSendQueueBytes) };
  const sizes = buffers === 'serve-buffers' ? { receiveBufferSize: BUFFER } : { receiveBufferSize: BUFFER, sendBufferSize: BUFFER };
  const network = createNodeNetwork({ ...sizes, ...queue });
  await startStunServer({ primary: { address: host, port: Number(port) }, software: 'natkit bench' }, { network });
  console.log('READY');
}

async function npmStun([port, host = HOST, buffers = 'bench']) {
  const stun = createRequire(import.meta.url)('stun');
  const { STUN_BINDING_RESPONSE, STUN_EVENT_BINDING_REQUEST } = stun.constants;
  const sizes = buffers === 'serve-buffers' ? { recvBufferSize: BUFFER } : { recvBufferSize: BUFFER, sendBufferSize: BUFFER };
  const server = stun.createServer({ type: 'udp4', ...sizes });
  // The package's documented server (examples/stun-server.js), answering with the request's id.
  server.on(STUN_EVENT_BINDING_REQUEST, (request, rinfo) => {
    const message = stun.createMessage(STUN_BINDING_RESPONSE, request.transactionId);
    message.addXorAddress(rinfo.address, rinfo.port);
    message.addSoftware('npm stun bench');
    server.send(message, rinfo.port, rinfo.address);
  });
  server.on('error', () => {});
  server.listen(Number(port), host, () => console.log('READY'));
}

async function echo([port]) {
  const socket = createSocket({ type: 'udp4', recvBufferSize: BUFFER, sendBufferSize: BUFFER });
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(Number(port), HOST, () => console.log('READY'));
}

export function coturnArgs(port, host = HOST) {
  return [
    '-n', '--no-cli', '--no-tls', '--no-dtls', '-S', '-z', '-m', '1',
    '-L', host, '-p', String(port), '--no-stdout-log', '--log-file', '/dev/null', '--simple-log',
    '--pidfile', `/tmp/natkit-bench-turnserver-${process.pid}-${host}.pid`,
  ];
}

// ---------------------------------------------------------------- load generator (child process)

function bindingRequest(i) {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0); // Binding request, RFC 8489 §18.2
  b.writeUInt32BE(0x2112a442, 4); // magic cookie, RFC 8489 §5
  b.writeUInt32BE(i + 1, 8);
  b.writeUInt32BE(0x6e6b6974, 16);
  return b;
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

async function loadgen([port, pid, seconds, window]) {
  const target = Number(port);
  const w = Number(window);
  let responses = 0;
  let running = true;
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: BUFFER, sendBufferSize: BUFFER });
    await new Promise((resolve) => s.bind(0, HOST, resolve));
    const st = { s, request: bindingRequest(i), sent: 0, received: 0, lost: 0, sentAtLastTick: 0 };
    s.on('message', (msg) => {
      if (msg.length < 20) return;
      responses++;
      st.received++;
      if (running) send(st, 1);
    });
    s.on('error', () => {});
    sockets.push(st);
  }
  function send(st, n) {
    for (let k = 0; k < n; k++) st.s.send(st.request, target, HOST);
    st.sent += n;
  }
  // Keep `w` requests in flight per socket: on loopback an answer takes far less than a tick, so
  // what was sent before the previous tick and is still unanswered counts as lost, and is replaced.
  const tick = () => {
    for (const st of sockets) {
      st.lost = Math.max(st.lost, st.sentAtLastTick - st.received);
      st.sentAtLastTick = st.sent;
      const inFlight = st.sent - st.received - st.lost;
      if (running && inFlight < w) send(st, Math.min(w, w - inFlight));
    }
  };
  tick();
  const ticker = setInterval(tick, 20);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const r0 = responses;
  const l0 = sockets.reduce((n, st) => n + st.lost, 0);
  const c0 = cpuSeconds(pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
  const r1 = responses;
  const c1 = cpuSeconds(pid);
  const own1 = process.cpuUsage(own0);
  const elapsed = (performance.now() - t0) / 1000;
  const lost = sockets.reduce((n, st) => n + st.lost, 0) - l0;
  running = false;
  clearInterval(ticker);
  for (const st of sockets) st.s.close();
  console.log(
    JSON.stringify({
      responses: r1 - r0,
      lost,
      elapsed,
      serverCpu: c1 - c0,
      loadgenCpu: (own1.user + own1.system) / 1e6,
    }),
  );
}

// ---------------------------------------------------------------- orchestration (main)

const children = new Set();

/** Pins servers to CPU 0 and the load generator to CPU 1 when taskset exists (less noise). */
const TASKSET = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function start(command, argv, cpu) {
  const [file, list] = TASKSET ? ['taskset', ['-c', String(cpu), command, ...argv]] : [command, argv];
  const child = spawn(file, list, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

function lines(child, onLine) {
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  });
}

function waitForLine(child, predicate, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: timed out`)), ms);
    child.once('exit', (code) => reject(new Error(`${what}: exited with ${code}`)));
    lines(child, (line) => {
      if (predicate(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

/** Resolves once something on `port` answers a Binding request (for servers that print nothing). */
async function waitForAnswer(port, ms) {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, HOST, r));
  try {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const answered = new Promise((resolve) => {
        s.once('message', () => resolve(true));
        setTimeout(() => resolve(false), 100);
      });
      s.send(bindingRequest(99), port, HOST);
      if (await answered) return;
    }
    throw new Error(`nothing answers on ${HOST}:${port}`);
  } finally {
    s.close();
  }
}

async function freePort() {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, HOST, r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function measure(name, seconds, window) {
  const port = await freePort();
  const server =
    name === 'coturn'
      ? start('turnserver', coturnArgs(port), 0)
      : start(process.execPath, [SELF, name, String(port)], 0);
  try {
    if (name === 'coturn') await waitForAnswer(port, 5000);
    else await waitForLine(server, (l) => l === 'READY', 10_000, name);
    const gen = start(process.execPath, [SELF, 'loadgen', String(port), String(server.pid), String(seconds), String(window)], 1);
    const line = await waitForLine(gen, (l) => l.startsWith('{'), (seconds + 10) * 1000, `${name} load generator`);
    await stop(gen);
    const r = JSON.parse(line);
    return { name, rps: r.responses / r.elapsed, perCpu: r.serverCpu > 0 ? r.responses / r.serverCpu : NaN, ...r };
  } finally {
    await stop(server);
  }
}

function table(results) {
  const by = (n) => results.find((r) => r.name === n);
  const npm = by('npm-stun');
  const echoResult = by('echo');
  const ratio = (a, b) => (b && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');
  const rows = [
    ['server', 'responses/s', 'server CPU %', 'responses/CPU-s', 'rps vs npm', 'rps vs echo', '/CPU-s vs npm', '/CPU-s vs echo', 'loadgen CPU %', 'lost'],
    ...results.map((r) => [
      r.name,
      Math.round(r.rps).toLocaleString('en-US'),
      ((100 * r.serverCpu) / r.elapsed).toFixed(0),
      Number.isFinite(r.perCpu) ? Math.round(r.perCpu).toLocaleString('en-US') : 'n/a',
      ratio(r.rps, npm?.rps),
      ratio(r.rps, echoResult?.rps),
      ratio(r.perCpu, npm?.perCpu),
      ratio(r.perCpu, echoResult?.perCpu),
      ((100 * r.loadgenCpu) / r.elapsed).toFixed(0),
      r.lost,
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  for (const row of rows) console.log(row.map((cell, c) => String(cell).padStart(widths[c])).join('  '));
}

async function main(argv) {
  const seconds = Number(argv[0] ?? 3);
  const window = Number(argv[1] ?? 64);
  const rounds = Number(argv[2] ?? 3);
  let hasCoturn = true;
  try {
    execFileSync('turnserver', ['--version'], { stdio: 'ignore' });
  } catch {
    hasCoturn = false;
  }
  const names = ['natkit', 'npm-stun', ...(hasCoturn ? ['coturn'] : []), 'echo'];
  const watchdog = setTimeout(() => {
    console.error('watchdog: benchmark took too long, killing children');
    for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    process.exit(1);
  }, rounds * names.length * (seconds + 15) * 1000);
  console.log(
    `STUN Binding on ${HOST}: ${SOCKETS} client sockets x window ${window}, ${seconds}s after ${WARMUP_MS}ms warm-up, ` +
      `${rounds} round(s) in rotating order, median shown${TASKSET ? '; servers on CPU 0, load generator on CPU 1' : ''}`,
  );
  const all = new Map(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      try {
        all.get(name).push(await measure(name, seconds, window));
      } catch (e) {
        console.error(`${name}: ${e.message}`);
      }
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const results = names
    .filter((n) => all.get(n).length > 0)
    .map((n) => {
      const rs = all.get(n);
      const pick = (k) => median(rs.map((r) => r[k]));
      return { name: n, rps: pick('rps'), perCpu: pick('perCpu'), serverCpu: pick('serverCpu'), elapsed: pick('elapsed'), loadgenCpu: pick('loadgenCpu'), lost: pick('lost') };
    });
  table(results);
  console.log('server CPU % is of one core. The machine may be shared: compare responses/CPU-s first.');
  clearTimeout(watchdog);
  console.log('');
  const skip = congestedSkipReason();
  if (skip !== null) console.log(`congested egress: skipped (${skip})`);
  else await runCongestedEgress({ self: SELF, coturn: hasCoturn ? coturnArgs : null, stop });
}

// Dispatch last, once every module-level constant is initialised.
await runRoleOrMain({ natkit, 'npm-stun': npmStun, echo, loadgen }, main);
