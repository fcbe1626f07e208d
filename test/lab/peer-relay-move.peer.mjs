// One library peer of peer-relay-move.test.ts, run inside a lab host namespace (the built packages:
// `npx tsc -b` first). JSON lines on stdout, debug log on stderr.
//   argv: SERVER_IP SERVER_PORT KEEPALIVE_MS RELAY [PEER_ID]   (RELAY: udp, or off for a peer without a
//   relay of its own; no PEER_ID: listen; with one: connect to it)
//   {"type":"ready","peer":ID,"relayed":"ip:port"}       registered, relay allocated
//   {"type":"connection","n":N,"path":KIND}               a connection (N counts them: 1 means no reconnect)
//   {"type":"relayed","relayed":"ip:port"|null,"at":MS}   our relayed address changed (polled every 50 ms)
//   {"type":"tx","seq":N,"at":MS} / {"type":"rx","seq":N,"at":MS}   one datagram every 50 ms each way
//   {"type":"close","reason":R,"error":E}                 the connection closed
//   {"type":"stats",...}                                  at exit (SIGTERM; the close that follows is not reported)
// Sends only to the natkit server it is given and to what the rendezvous hands out for the peer.
// Exits on SIGTERM, after 120 s at most, or when the parent is gone.
import { createNodeNetwork, createConsoleLogger } from '../../packages/net/dist/index.js';
import { Identity } from '../../packages/identity/dist/index.js';
import { createPeer } from '../../packages/peer/dist/index.js';

const [serverIp, serverPort, keepaliveMs, relay, remote] = process.argv.slice(2);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const text = (e) => (e === null || e === undefined ? null : `${e.address}:${e.port}`);
const parent = process.ppid;

const peer = await createPeer(
  { server: { address: serverIp, port: Number(serverPort) }, identity: Identity.generate(), keepaliveMs: Number(keepaliveMs), relay: relay === 'off' ? false : 'udp', watchNetworkMs: false },
  { network: createNodeNetwork(), logger: createConsoleLogger({ level: 'debug' }) },
);
let relayed = text(peer.addresses.relayed);
say({ type: 'ready', peer: peer.peerId, relayed });

let connection = null;
let connections = 0;
let seq = 0;
let stopping = false;
const timers = [];

function run(c) {
  connection = c;
  say({ type: 'connection', n: ++connections, path: c.path.kind });
  c.onMessage((m) => say({ type: 'rx', seq: new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(0), at: Date.now() }));
  c.on('close', (closed) => !stopping && say({ type: 'close', reason: closed.reason, error: closed.error?.message ?? null }));
  if (connections > 1) return;
  timers.push(setInterval(() => {
    if (connection === null || connection.closed) return;
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, seq);
    connection.send(d);
    say({ type: 'tx', seq: seq++, at: Date.now() });
  }, 50));
}

timers.push(setInterval(() => {
  const now = text(peer.addresses.relayed);
  if (now !== relayed) say({ type: 'relayed', relayed: (relayed = now), at: Date.now() });
}, 50));

async function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearInterval(t);
  if (connection !== null) say({ type: 'stats', ...connection.stats(), route: connection.path });
  await peer.close();
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
setTimeout(() => void stop(0), 120_000).unref();
setInterval(() => process.ppid !== parent && void stop(0), 500).unref();

if (remote === undefined) peer.onConnection(run);
else run(await peer.connect(remote, { signal: AbortSignal.timeout(15_000) }));
