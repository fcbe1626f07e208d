import type { Endpoint } from '@natkit/net';
import type { RetransmitPolicy } from '../transaction/retransmit-policy.js';
import type { ProbeContext } from './probe-context.js';

/**
 * Tells "no server" from "no answer": a Binding request from a socket connected to the server
 * hears the ICMP port-unreachable a host sends back when nothing listens on that port (the error
 * arrives as ECONNREFUSED). Resolves true on that error, false when the request is answered or
 * times out (a silent path: filtered, blocked, or a host that does not send ICMP). Never rejects.
 */
export async function detectPortUnreachable(ctx: ProbeContext, server: Endpoint, policy: RetransmitPolicy): Promise<boolean> {
  let probe;
  try {
    probe = await ctx.open(server);
  } catch {
    return false;
  }
  let refused: () => void = () => {};
  const refusal = new Promise<true>((resolve) => {
    refused = () => resolve(true);
  });
  const off = probe.socket.onError((e) => {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') refused();
  });
  try {
    const answered = ctx.binding(probe, server, policy).then(
      () => false,
      () => false,
    );
    return await Promise.race([refusal, answered]);
  } finally {
    off();
    probe.client.close();
  }
}
