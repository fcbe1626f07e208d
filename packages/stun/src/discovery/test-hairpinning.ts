import { sleep, type Endpoint } from '@natkit/net';
import {
  classifyPacket,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  StunMethod,
  transactionKey,
} from '../proto/index.js';
import type { RetransmitPolicy } from '../transaction/retransmit-policy.js';
import type { ProbeContext, ProbeSocket } from './probe-context.js';

/** A socket and the external address the server saw it at. */
export interface MappedSocket {
  readonly probe: ProbeSocket;
  readonly mapped: Endpoint;
}

/**
 * RFC 5780 §4.5 / RFC 4787 §6: two sockets behind the NAT send Binding requests to each other's
 * mapped (external) address. If either arrives, the NAT hairpins. Each side sends first to the
 * other's mapped address too, so that filtering does not hide a working hairpin. Every
 * transmission of the negative policy is sent before silence counts as "no".
 */
export async function testHairpinning(
  ctx: ProbeContext,
  a: MappedSocket,
  b: MappedSocket,
  policy: RetransmitPolicy,
): Promise<{ hairpinning: boolean; via: Endpoint | null }> {
  const ids = new Set<string>();
  const requests = [a, b].map(() => {
    const transactionId = createTransactionId(ctx.random);
    ids.add(transactionKey(transactionId));
    return encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId }, { fingerprint: true });
  });
  let resolveArrival: (from: Endpoint) => void = () => {};
  const arrived = new Promise<Endpoint>((resolve) => {
    resolveArrival = resolve;
  });
  const listen = (data: Uint8Array, from: Endpoint): void => {
    if (classifyPacket(data) !== 'stun') return;
    const decoded = decodeMessage(data);
    if (decoded.ok && decoded.value.class === 'request' && ids.has(transactionKey(decoded.value.transactionId))) {
      resolveArrival(from);
    }
  };
  const offs = [a.probe.socket.onMessage(listen), b.probe.socket.onMessage(listen)];
  let via: Endpoint | null = null;
  void arrived.then((from) => {
    via = from;
  });
  try {
    const sends = Math.max(1, policy.rc);
    for (let i = 0; i < sends && via === null; i++) {
      a.probe.socket.send(requests[0] ?? new Uint8Array(), b.mapped);
      b.probe.socket.send(requests[1] ?? new Uint8Array(), a.mapped);
      await Promise.race([arrived, sleep(ctx.clock, policy.rtoMs, ctx.signal)]);
    }
    if (via === null) await Promise.race([arrived, sleep(ctx.clock, policy.rtoMs * Math.max(1, policy.rm), ctx.signal)]);
  } finally {
    for (const off of offs) off();
  }
  return { hairpinning: via !== null, via };
}
