/**
 * The engine on the Node network: two real UDP sockets on 127.0.0.1 (no NAT), the system clock,
 * a simultaneous open to each other's address. Only loopback is ever a destination.
 */
import { describe, expect, it } from 'vitest';
import { createNodeNetwork, type UdpSocket } from '@natkit/net';
import { createHmacAuthenticator, planPunch, startPunch, type NatProfile, type PeerDescription } from '../../src/index.js';

const open: NatProfile = { family: 4, mapping: 'endpoint-independent', filtering: 'endpoint-independent', allocation: 'preserving', delta: null, hairpinning: null };

function describePeer(socket: UdpSocket): PeerDescription {
  const { address, port } = socket.local;
  return {
    profiles: [open],
    candidates: [
      { type: 'host', address, port, family: 4 },
      { type: 'srflx', address, port, family: 4, verified: true },
    ],
  };
}

describe('punch over loopback with real sockets', () => {
  it.each([
    ['127.0.0.2', 'simultaneous-open'],
    ['127.0.0.1', 'same-nat'],
  ] as const)('peer on %s (%s): both sides select the other socket, and data crosses the pair', async (bAddress, strategy) => {
    const network = createNodeNetwork();
    const a = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const b = await network.bindUdp({ family: 4, address: bAddress });
    try {
      const planA = planPunch(describePeer(a), describePeer(b));
      const planB = planPunch(describePeer(b), describePeer(a));
      expect(planA.strategy).toBe(strategy);
      const authenticator = createHmacAuthenticator(crypto.getRandomValues(new Uint8Array(32)));
      const fireAt = performance.now() + 20;
      const [ra, rb] = await Promise.all([
        startPunch({ plan: planA, socket: a, fireAt, role: 'controlling', authenticator, lingerMs: 100 }, { network }).result,
        startPunch({ plan: planB, socket: b, fireAt, role: 'controlled', authenticator, lingerMs: 100 }, { network }).result,
      ]);
      expect(ra.ok && rb.ok).toBe(true);
      if (!ra.ok || !rb.ok) return;
      expect(ra.remote).toEqual({ address: bAddress, port: b.local.port });
      expect(rb.remote).toEqual({ address: '127.0.0.1', port: a.local.port });
      expect(ra.socket).toBe(a);
      expect(ra.ownsSocket).toBe(false);
      const got = new Promise<string>((resolve) => b.onMessage((data) => resolve(new TextDecoder().decode(data))));
      a.send(new TextEncoder().encode('over the punched pair'), ra.remote);
      expect(await got).toBe('over the punched pair');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
