// One side of birthday-lab.bench.ts, run inside a lab host namespace: JSON lines on stdin
// (commands), JSON lines on stdout (answers). Uses the built packages (`npx tsc -b` first).
//   {"type":"prepare"}  -> binds a new UDP socket, asks natkit serve for its mapping (STUN Binding)
//                          -> {"type":"prepared","host":{...},"srflx":{...}}
//   {"type":"punch", me, peer, role, token, fireInMs, seed, limits, attempts?}
//                       -> planPunch + startPunch over the real socket (with `attempts`: startPunchSeries,
//                          attempt n planned with seed + n * 7919)
//                          -> {"type":"punched", ok, reason, elapsedMs, attempts, strategy, p, probes, extraSockets, stats}
//                          (elapsedMs: from the first fire time, the earlier attempts' planned length included)
// Exits when stdin closes or the parent is gone.
// argv: STUN_SERVER_IP STUN_SERVER_PORT HOST_ADDRESS
import { createNodeNetwork, systemClock } from '../../packages/net/dist/index.js';
import { readXorMappedAddress, StunClient } from '../../packages/stun/dist/index.js';
import { createHmacAuthenticator, planPunch, SERIES_GAP_MS, startPunch, startPunchSeries } from '../../packages/punch/dist/index.js';

const [serverIp, serverPort, hostAddress] = process.argv.slice(2);
const server = { address: serverIp, port: Number(serverPort) };
const network = createNodeNetwork();
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 500).unref();
let socket;

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function prepare() {
  await socket?.close();
  socket = await network.bindUdp({ family: 4 });
  const stun = new StunClient({}, { socket, clock: systemClock });
  try {
    const response = await stun.request(server);
    const mapped = readXorMappedAddress(response.message);
    if (mapped === undefined) throw new Error('no XOR-MAPPED-ADDRESS');
    say({ type: 'prepared', host: { address: hostAddress, port: socket.local.port }, srflx: { address: mapped.address, port: mapped.port } });
  } finally {
    stun.close();
  }
}

async function punch(cmd) {
  const plan = planPunch(cmd.me, cmd.peer, { seed: cmd.seed, limits: cmd.limits });
  const authenticator = createHmacAuthenticator(Buffer.from(cmd.token, 'hex'));
  const common = { socket, fireAt: systemClock.now() + cmd.fireInMs, role: cmd.role, authenticator, lingerMs: 1000 };
  const replan = (n) => (n === 0 ? plan : planPunch(cmd.me, cmd.peer, { seed: cmd.seed + n * 7919, limits: cmd.limits }));
  const attempt = cmd.attempts === undefined ? startPunch({ ...common, plan }, { network }) : startPunchSeries({ ...common, plan: replan, maxAttempts: cmd.attempts }, { network });
  const r = await attempt.result;
  const attempts = r.attempts ?? 1;
  if (r.ok && r.ownsSocket) await r.socket.close();
  say({
    type: 'punched', ok: r.ok, reason: r.ok ? null : r.reason, detail: r.ok ? null : r.detail, attempts,
    elapsedMs: r.ok ? (attempts - 1) * (plan.durationMs + SERIES_GAP_MS) + r.elapsedMs : null,
    strategy: plan.strategy, p: plan.successProbability, probes: plan.send.targets.length, extraSockets: plan.send.extraSockets, durationMs: plan.durationMs, stats: r.stats,
  });
}

let buffered = '';
let queue = Promise.resolve();
process.stdin.setEncoding('utf8').on('data', (d) => {
  buffered += d;
  for (let i; (i = buffered.indexOf('\n')) >= 0; ) {
    const cmd = JSON.parse(buffered.slice(0, i));
    buffered = buffered.slice(i + 1);
    queue = queue.then(() => (cmd.type === 'prepare' ? prepare() : punch(cmd))).catch((e) => say({ type: 'error', message: String(e?.stack ?? e) }));
  }
});
process.stdin.on('end', async () => {
  await queue;
  await socket?.close();
  process.exit(0);
});
