// Runs two node-datachannel peers (libdatachannel + libjuice), signalled in memory and forced
// through a TURN relay, in a process of their own (see node-datachannel-pair.ts):
//   node node-datachannel-pair.child.mjs '{"iceServer":...,"iceServerB":...,"timeoutMs":N}'
// It prints one JSON line, {"ok":true,"echoed","candidates","selectedLocal"} or {"ok":false,"error"},
// as soon as the outcome is known, and only then closes the peers: libdatachannel can deadlock in
// PeerConnection.close() (seen in CI: the closing thread and libjuice's poll thread each wait for the
// other's mutex), which must not hang the test, so the parent reads the line and ends this process
// by its pid when it does not exit by itself.
import nodeDataChannel from 'node-datachannel';

const { iceServer, iceServerB, timeoutMs } = JSON.parse(process.argv[2] ?? '{}');

function text(msg) {
  return typeof msg === 'string' ? msg : Buffer.from(msg).toString('utf8');
}

function report(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const config = (server) => ({ iceServers: [server], iceTransportPolicy: 'relay' });
const a = new nodeDataChannel.PeerConnection('natkit-a', config(iceServer));
const b = new nodeDataChannel.PeerConnection('natkit-b', config(iceServerB ?? iceServer));
const candidates = [];
a.onLocalDescription((sdp, type) => b.setRemoteDescription(sdp, type));
b.onLocalDescription((sdp, type) => a.setRemoteDescription(sdp, type));
a.onLocalCandidate((candidate, mid) => {
  candidates.push(candidate);
  b.addRemoteCandidate(candidate, mid);
});
b.onLocalCandidate((candidate, mid) => {
  candidates.push(candidate);
  a.addRemoteCandidate(candidate, mid);
});
b.onDataChannel((dc) => dc.onMessage((msg) => dc.sendMessage(`echo:${text(msg)}`)));

let timer;
const opened = new Promise((resolve, reject) => {
  const dc = a.createDataChannel('natkit');
  dc.onOpen(() => dc.sendMessage('hello through the relay'));
  dc.onMessage((msg) => resolve(text(msg)));
  dc.onError((e) => reject(new Error(`data channel error: ${e}`)));
});
const timeout = new Promise((_, reject) => {
  timer = setTimeout(() => reject(new Error(`no data channel through the relay within ${timeoutMs} ms (state a=${a.state()} b=${b.state()}, gathering a=${a.gatheringState()})`)), timeoutMs);
});
try {
  const echoed = await Promise.race([opened, timeout]);
  const pair = a.getSelectedCandidatePair();
  report({ ok: true, echoed, candidates, selectedLocal: pair === null ? 'none' : `${pair.local.address}:${pair.local.port}` });
} catch (e) {
  report({ ok: false, error: e instanceof Error ? e.message : String(e) });
} finally {
  clearTimeout(timer);
  a.close();
  b.close();
  nodeDataChannel.cleanup();
  process.exit(0);
}
