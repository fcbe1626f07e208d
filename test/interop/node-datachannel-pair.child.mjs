// Runs two node-datachannel peers (libdatachannel + libjuice), signalled in memory and forced
// through a TURN relay, in a process of their own (see node-datachannel-pair.ts):
//   node node-datachannel-pair.child.mjs '{"iceServer":...,"iceServerB":...,"timeoutMs":N}'
// It prints one JSON line, {"ok":true,"echoed","candidates","selectedLocal","selectedPairs"} or
// {"ok":false,"error"} (the error ends with the timeline: states, candidates, libdatachannel's Info lines),
// as soon as the outcome is known, and only then closes the peers: libdatachannel can deadlock in
// PeerConnection.close() (seen in CI: the closing thread and libjuice's poll thread each wait for the
// other's mutex), which must not hang the test, so the parent reads the line and ends this process
// by its pid when it does not exit by itself.
import nodeDataChannel from 'node-datachannel';

const { iceServer, iceServerB, timeoutMs } = JSON.parse(process.argv[2] ?? '{}');

function text(msg) {
  return typeof msg === 'string' ? msg : Buffer.from(msg).toString('utf8');
}

// What happened and when (ms since start), bounded: the failure message carries it, so a failure in
// CI says how far the peers got (gathering, ICE, DTLS, SCTP) without a rerun.
const started = performance.now();
const timeline = [];
function mark(event) {
  if (timeline.length < 200) timeline.push(`${Math.round(performance.now() - started)} ${event}`);
}
// Verbose only to see that libjuice's thread is alive (it logs each poll, at least every 500 ms);
// only Info and above go into the timeline (Verbose lines hold ICE passwords).
let lastJuiceLine = 0;
nodeDataChannel.initLogger('Verbose', (level, message) => {
  const line = String(message);
  if (line.includes('juice:')) lastJuiceLine = performance.now();
  if (level !== 'Verbose' && level !== 'Debug') mark(`[${level}] ${line.slice(0, 160)}`);
});

/**
 * libdatachannel 0.24.5 (node-datachannel 0.33.4) can deadlock when the DTLS server's ICE-connected
 * callback starts DTLS while the peer's ClientHello is already queued: libjuice's thread holds its
 * lock and waits for the DTLS mutex, a pool thread holds the DTLS mutex and waits in juice_send for
 * libjuice's lock (paullouisageneau/libdatachannel#1630, fixed upstream after 0.24.5). Seen here as:
 * both peers ICE-connected, then libjuice silent for good. Named in the failure so it is not taken
 * for a relay fault.
 */
function deadlockNote() {
  const silentMs = Math.round(performance.now() - lastJuiceLine);
  const connected = (s) => s === 'connected' || s === 'completed';
  if (!connected(a.iceState()) || !connected(b.iceState()) || silentMs < 3000) return '';
  return `; both peers ICE-connected and libjuice silent for the last ${silentMs} ms: the DTLS-start deadlock of libdatachannel 0.24.5 (libdatachannel#1630), not a relay fault`;
}

/** `local>remote` candidate types of a peer's selected pair ('relay>relay' when both ends relay). */
function pairTypes(pc) {
  const pair = pc.getSelectedCandidatePair();
  return pair === null ? 'none' : `${pair.local.type}>${pair.remote.type}`;
}

function report(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const config = (server) => ({ iceServers: [server], iceTransportPolicy: 'relay' });
const a = new nodeDataChannel.PeerConnection('natkit-a', config(iceServer));
const b = new nodeDataChannel.PeerConnection('natkit-b', config(iceServerB ?? iceServer));
const candidates = [];
for (const [name, pc] of [['a', a], ['b', b]]) {
  pc.onStateChange((state) => mark(`${name} state ${state}`));
  pc.onIceStateChange((state) => mark(`${name} ice ${state}`));
  pc.onGatheringStateChange((state) => mark(`${name} gathering ${state}`));
}
a.onLocalDescription((sdp, type) => b.setRemoteDescription(sdp, type));
b.onLocalDescription((sdp, type) => a.setRemoteDescription(sdp, type));
a.onLocalCandidate((candidate, mid) => {
  candidates.push(candidate);
  mark(`a candidate ${candidate}`);
  b.addRemoteCandidate(candidate, mid);
});
b.onLocalCandidate((candidate, mid) => {
  candidates.push(candidate);
  mark(`b candidate ${candidate}`);
  a.addRemoteCandidate(candidate, mid);
});
b.onDataChannel((dc) => dc.onMessage((msg) => dc.sendMessage(`echo:${text(msg)}`)));

let timer;
const opened = new Promise((resolve, reject) => {
  const dc = a.createDataChannel('natkit');
  dc.onOpen(() => {
    mark('data channel open');
    dc.sendMessage('hello through the relay');
  });
  dc.onMessage((msg) => resolve(text(msg)));
  dc.onError((e) => reject(new Error(`data channel error: ${e}`)));
});
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => {
    const states = `state a=${a.state()} b=${b.state()}, ice a=${a.iceState()} b=${b.iceState()}, gathering a=${a.gatheringState()}`;
    reject(new Error(`no data channel through the relay within ${timeoutMs} ms (${states})${deadlockNote()}`));
  }, timeoutMs);
});
try {
  const echoed = await Promise.race([opened, timeout]);
  const pair = a.getSelectedCandidatePair();
  const selectedPairs = { a: pairTypes(a), b: pairTypes(b) };
  report({ ok: true, echoed, candidates, selectedLocal: pair === null ? 'none' : `${pair.local.address}:${pair.local.port}`, selectedPairs });
} catch (e) {
  const error = e instanceof Error ? e.message : String(e);
  report({ ok: false, error: `${error}\n--- timeline (ms) ---\n${timeline.join('\n')}` });
} finally {
  clearTimeout(timer);
  a.close();
  b.close();
  nodeDataChannel.cleanup();
  process.exit(0);
}
