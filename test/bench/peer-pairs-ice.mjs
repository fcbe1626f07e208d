// The ICE anchor of peer-pairs.bench.ts: node-datachannel (libdatachannel + libjuice) peers in lab
// namespaces, signalled through a tiny line-based TCP relay in the lab's internet. Two roles:
//
//   node peer-pairs-ice.mjs signal HOST PORT
//     The signaling relay. Each connection's first line is {"session", "role"}; two connections
//     with the same session are paired, each then gets {"type":"paired"}, and every later line of
//     one goes to the other (peers send nothing before "paired", so nothing needs keeping).
//
//   node peer-pairs-ice.mjs peer offerer|answerer SIGNAL_HOST:PORT SESSION ICE_JSON TIMEOUT_MS
//     One ICE peer. ICE_JSON is node-datachannel's `iceServers` array. The offerer starts its clock
//     when the relay says both are there, creates the PeerConnection and a data channel, and stops
//     it at the channel's onOpen; the answerer ends when the channel arrives. Each prints one JSON line:
//     {"type":"result","role","ok","openMs","local","remote","localAddress","remoteAddress","error"}
//     (candidate types of the selected pair; the offerer's openMs is the measurement).
import { createServer, connect } from 'node:net';
import { runRoleOrMain } from './child-role.mjs';

const MAX_LINE = 64 * 1024;

/** Splits a socket's data into lines, bounded; `onLine` gets each complete line. */
function lines(socket, onLine) {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE) return socket.destroy();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (line.length > 0) onLine(line);
    }
  });
}

function parse(line) {
  try {
    const value = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : null;
  } catch {
    return null;
  }
}

async function signal([host, port]) {
  const sessions = new Map(); // session -> { sockets: [socket, socket?] }
  const server = createServer((socket) => {
    let session = null;
    socket.on('error', () => undefined);
    lines(socket, (line) => {
      if (session === null) {
        const hello = parse(line);
        if (typeof hello?.session !== 'string') return socket.destroy();
        session = hello.session;
        const s = sessions.get(session) ?? { sockets: [] };
        if (s.sockets.length >= 2) return socket.destroy();
        s.sockets.push(socket);
        sessions.set(session, s);
        if (s.sockets.length === 2) for (const peer of s.sockets) peer.write('{"type":"paired"}\n');
        socket.on('close', () => {
          const left = sessions.get(session);
          if (left === undefined) return;
          left.sockets = left.sockets.filter((x) => x !== socket);
          if (left.sockets.length === 0) sessions.delete(session);
        });
        return;
      }
      const other = sessions.get(session)?.sockets.find((x) => x !== socket);
      if (other !== undefined) other.write(`${line}\n`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), host, resolve);
  });
  console.log(`signal relay on ${host}:${port}`);
}

function pairInfo(pc) {
  const pair = pc.getSelectedCandidatePair();
  if (pair === null) return { local: null, remote: null, localAddress: null, remoteAddress: null };
  return {
    local: pair.local.type,
    remote: pair.remote.type,
    localAddress: `${pair.local.address}:${pair.local.port}`,
    remoteAddress: `${pair.remote.address}:${pair.remote.port}`,
  };
}

async function peer([role, where, session, iceJson, timeoutText]) {
  const { default: ndc } = await import('node-datachannel');
  const timeoutMs = Number(timeoutText);
  const [host, port] = [where.slice(0, where.lastIndexOf(':')), Number(where.slice(where.lastIndexOf(':') + 1))];
  const iceServers = JSON.parse(iceJson);
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  const send = (m) => socket.write(`${JSON.stringify(m)}\n`);
  let pc = null;
  // Held so that the garbage collector never closes them (node-datachannel closes on collection).
  const channels = [];
  let started = 0;
  let done = false;
  const finish = (result) => {
    if (done) return;
    done = true;
    console.log(JSON.stringify({ type: 'result', role, ...result }));
    // Exit without pc.close()/cleanup(): joining libdatachannel's threads can take seconds, and
    // the measurement is over. The kernel closes the sockets.
    setTimeout(() => process.exit(0), 50);
  };
  const timer = setTimeout(
    () => finish({ ok: false, openMs: null, ...(pc ? pairInfo(pc) : {}), error: `no open data channel within ${timeoutMs} ms (state ${pc?.state() ?? 'not created'}, ice ${pc?.iceState() ?? '-'}, gathering ${pc?.gatheringState() ?? '-'})` }),
    timeoutMs,
  );
  const create = () => {
    pc = new ndc.PeerConnection(`${role}-${session}`, { iceServers });
    pc.onLocalDescription((sdp, type) => send({ type: 'description', sdp, kind: type }));
    pc.onLocalCandidate((candidate, mid) => send({ type: 'candidate', candidate, mid }));
    return pc;
  };
  socket.on('connect', () => send({ session, role }));
  lines(socket, (line) => {
    const m = parse(line);
    if (m === null) return;
    if (m.type === 'paired' && role === 'offerer') {
      started = performance.now();
      const dc = create().createDataChannel('bench');
      channels.push(dc);
      dc.onOpen(() => {
        const openMs = Math.round((performance.now() - started) * 10) / 10;
        clearTimeout(timer);
        finish({ ok: true, openMs, ...pairInfo(pc) });
      });
    } else if (m.type === 'description') {
      if (pc === null) {
        create().onDataChannel((dc) => {
          channels.push(dc);
          clearTimeout(timer);
          finish({ ok: true, openMs: null, ...pairInfo(pc) });
        });
      }
      pc.setRemoteDescription(m.sdp, m.kind);
    } else if (m.type === 'candidate' && pc !== null) {
      pc.addRemoteCandidate(m.candidate, m.mid);
    }
  });
}

await runRoleOrMain({ signal, peer }, () => {
  console.error('usage: node test/bench/peer-pairs-ice.mjs signal HOST PORT | peer offerer|answerer HOST:PORT SESSION ICE_JSON TIMEOUT_MS');
  process.exitCode = 2;
});
