import type { Network, UdpSocket } from '@natkit/net';
import { StunServerError } from '../errors.js';
import type { SocketPlan } from './socket-plan.js';

/** Attempts when a port picked by the OS for one IP turns out to be taken on the other. */
const EPHEMERAL_ATTEMPTS = 8;

/**
 * Binds the planned sockets in role order. Sockets on the alternate IP reuse the ports the
 * primary IP's sockets got; if such a port is taken and was ephemeral, everything is retried
 * with new ports. On failure nothing stays bound. Throws StunServerError `ERR_STUN_SERVER_BIND`.
 */
export async function bindPlannedSockets(network: Network, plan: SocketPlan): Promise<UdpSocket[]> {
  const ephemeral = plan.sockets.some((s) => s.requestedPort === 0);
  for (let attempt = 1; ; attempt++) {
    const bound: UdpSocket[] = [];
    try {
      for (const s of plan.sockets) {
        const port = s.samePortAs === undefined ? s.requestedPort : (bound[s.samePortAs]?.local.port ?? 0);
        bound.push(await network.bindUdp({ family: plan.family, address: s.address, port }));
      }
      return bound;
    } catch (e) {
      await Promise.all(bound.map((s) => s.close()));
      if (!ephemeral || attempt >= EPHEMERAL_ATTEMPTS || plan.sockets.length === 1) {
        const message = e instanceof Error ? e.message : String(e);
        throw new StunServerError('ERR_STUN_SERVER_BIND', `cannot bind the STUN server's sockets: ${message}`, e);
      }
    }
  }
}
