/**
 * Two node-datachannel (libdatachannel + libjuice) peers in one process, signalled in memory,
 * forced through a TURN relay (`iceTransportPolicy: 'relay'`). Resolves once a data channel
 * carried a message both ways, with the candidate types of the selected pair.
 */
import nodeDataChannel, { type IceServer } from 'node-datachannel';

export interface RelayedPairResult {
  /** What came back over the data channel. */
  readonly echoed: string;
  /** Every candidate both peers gathered (with `iceTransportPolicy: 'relay'`: relay only). */
  readonly candidates: readonly string[];
  /** The local address of peer a's selected candidate pair (`host:port`). */
  readonly selectedLocal: string;
}

/** An ICE server entry: a `turn:` URL string or libdatachannel's object form. */
export type IceServerEntry = string | IceServer;

/** A data channel message as text (strings arrive as strings, binary as a Buffer). */
function text(msg: string | Buffer | ArrayBuffer): string {
  return typeof msg === 'string' ? msg : Buffer.from(msg as ArrayBuffer).toString('utf8');
}

/** `iceServerB`: peer b's own server entry (its own credentials); peer a's by default. */
export async function openRelayedPair(iceServer: IceServerEntry, timeoutMs: number, iceServerB: IceServerEntry = iceServer): Promise<RelayedPairResult> {
  const config = (server: IceServerEntry) => ({ iceServers: [server], iceTransportPolicy: 'relay' as const });
  const a = new nodeDataChannel.PeerConnection('natkit-a', config(iceServer));
  const b = new nodeDataChannel.PeerConnection('natkit-b', config(iceServerB));
  let timer: NodeJS.Timeout | undefined;
  try {
    a.onLocalDescription((sdp, type) => b.setRemoteDescription(sdp, type));
    b.onLocalDescription((sdp, type) => a.setRemoteDescription(sdp, type));
    const candidates: string[] = [];
    a.onLocalCandidate((candidate, mid) => {
      candidates.push(candidate);
      b.addRemoteCandidate(candidate, mid);
    });
    b.onLocalCandidate((candidate, mid) => {
      candidates.push(candidate);
      a.addRemoteCandidate(candidate, mid);
    });
    b.onDataChannel((dc) => dc.onMessage((msg) => dc.sendMessage(`echo:${text(msg)}`)));
    const opened = new Promise<string>((resolve, reject) => {
      const dc = a.createDataChannel('natkit');
      dc.onOpen(() => dc.sendMessage('hello through the relay'));
      dc.onMessage((msg) => resolve(text(msg)));
      dc.onError((e) => reject(new Error(`data channel error: ${e}`)));
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no data channel through the relay within ${timeoutMs} ms (state a=${a.state()} b=${b.state()}, gathering a=${a.gatheringState()})`)), timeoutMs);
    });
    const echoed = await Promise.race([opened, timeout]);
    const pair = a.getSelectedCandidatePair();
    return { echoed, candidates, selectedLocal: pair === null ? 'none' : `${pair.local.address}:${pair.local.port}` };
  } finally {
    clearTimeout(timer);
    a.close();
    b.close();
  }
}

/** Call once at the end of a suite: stops libdatachannel's threads so that the process can exit. */
export function cleanupDataChannel(): void {
  nodeDataChannel.cleanup();
}
