import { formatEndpoint, type Clock, type Endpoint, type Network, type UdpSocket } from '@natkit/net';
import { readXorMappedAddress, StunClient } from '@natkit/stun';
import type { RelayedSocket } from './relayed-socket.js';

export interface SelfEchoResult {
  readonly sent: number;
  readonly received: number;
  /** Round-trip times of the echoes that came back, ms, in order. */
  readonly rttsMs: readonly number[];
  /** The probe socket's address as the server saw it (or its local address if unknown). */
  readonly peer: Endpoint;
}

export interface SelfEchoOptions {
  readonly rounds: number;
  /** Our address as the server saw the allocation (XOR-MAPPED-ADDRESS): the fallback when the
   * server does not answer a Binding request from the probe socket. */
  readonly mapped?: Endpoint;
  /** How long to wait for each echo, ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

const PREFIX = 'natkit-relay-check ';

/**
 * Sends through the relay to ourselves and back: a second UDP socket (the "peer") learns its
 * reflexive address from the server (Binding), the relayed socket gets a permission for it, then
 * the peer sends each probe to the relayed address and the relayed socket echoes it back through
 * the relay. The peer sends first so that a NAT in front of it lets the echo in. Each round trip
 * crosses the relay twice.
 */
export async function selfEcho(
  relay: RelayedSocket,
  server: Endpoint,
  options: SelfEchoOptions,
  components: { readonly network: Network; readonly clock: Clock },
): Promise<SelfEchoResult> {
  const family = relay.local.address.includes(':') ? 6 : 4;
  const peerSocket = await components.network.bindUdp({ family });
  const offEcho = relay.onMessage((data, from) => {
    if (Buffer.from(data.subarray(0, PREFIX.length)).toString('latin1') === PREFIX) relay.send(data, from);
  });
  try {
    const peer = await reflexiveAddress(peerSocket, server, options.mapped, components.clock, options.signal);
    await relay.permit([peer], options.signal);
    const rtts: number[] = [];
    for (let i = 0; i < options.rounds; i++) {
      const rtt = await probe(peerSocket, relay.local, i, options.timeoutMs, components.clock);
      if (rtt !== undefined) rtts.push(rtt);
    }
    return { sent: options.rounds, received: rtts.length, rttsMs: rtts, peer };
  } finally {
    offEcho();
    await peerSocket.close();
  }
}

/**
 * The probe socket's address as the server sees it. A server that does not answer Binding: the
 * allocation's mapped IP with the socket's port (a permission only looks at the IP; the echo goes
 * back to wherever the probe really came from), else the socket's own address.
 */
async function reflexiveAddress(socket: UdpSocket, server: Endpoint, mapped: Endpoint | undefined, clock: Clock, signal?: AbortSignal): Promise<Endpoint> {
  const stun = new StunClient({}, { socket, clock });
  try {
    const r = await stun.request(server, signal === undefined ? {} : { signal });
    const seen = readXorMappedAddress(r.message);
    if (seen !== undefined) return seen;
  } catch {
    // no Binding answer: fall through
  } finally {
    stun.close();
  }
  if (mapped !== undefined) return { address: mapped.address, port: socket.local.port };
  const wildcard = socket.local.address === '0.0.0.0' || socket.local.address === '::';
  return wildcard ? { address: server.address, port: socket.local.port } : socket.local;
}

/** One probe: the RTT in ms, or undefined when its echo did not come back in time. */
function probe(socket: UdpSocket, relayed: Endpoint, n: number, timeoutMs: number, clock: Clock): Promise<number | undefined> {
  const text = `${PREFIX}${n} ${formatEndpoint(relayed)}`;
  return new Promise((resolve) => {
    const started = clock.now();
    const timer = clock.setTimeout(() => {
      off();
      resolve(undefined);
    }, timeoutMs);
    const off = socket.onMessage((data) => {
      if (Buffer.from(data).toString('latin1') !== text) return;
      timer.cancel();
      off();
      resolve(clock.now() - started);
    });
    socket.send(Buffer.from(text, 'latin1'), relayed);
  });
}
