/**
 * The engine's destination guard over real sockets (issue 7: "a probe storm is never aimed at an
 * address not bound to the peer"). A and B punch over 127.0.0.1 / 127.0.0.2; a canary socket on
 * 127.0.0.3 holds the punch token (a malicious peer spoofing a victim's source address) and sends
 * authenticated probes and nominations to both during the attempt. Neither engine answers, probes
 * or selects the canary; the canary receives nothing, and A and B still select each other. B
 * also claims an unverified candidate at the canary's address: A's plan never allows it.
 */
import { describe, expect, it } from 'vitest';
import { createNodeNetwork, type Endpoint, type UdpSocket } from '@natkit/net';
import { createHmacAuthenticator, encodePunchBody, planPunch, PUNCH_MAGIC, startPunch, type NatProfile, type PeerDescription } from '../../src/index.js';

const open: NatProfile = { family: 4, mapping: 'endpoint-independent', filtering: 'endpoint-independent', allocation: 'preserving', delta: null, hairpinning: null };

/** What the rendezvous binds to a peer: its own host and server-reflexive address, verified. */
function describePeer(socket: UdpSocket): PeerDescription {
  const { address, port } = socket.local;
  return { profiles: [open], candidates: [{ type: 'host', address, port, family: 4 }, { type: 'srflx', address, port, family: 4, verified: true }] };
}

describe('punch engine: authenticated probes from an address not bound to the peer (real sockets)', () => {
  it('are dropped and never answered; the canary receives nothing and the real pair is selected', async () => {
    const network = createNodeNetwork();
    const a = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const b = await network.bindUdp({ family: 4, address: '127.0.0.2' });
    const canary = await network.bindUdp({ family: 4, address: '127.0.0.3' });
    const heard: Endpoint[] = [];
    canary.onMessage((_d, from) => heard.push(from));
    let storm: NodeJS.Timeout | undefined;
    try {
      const authenticator = createHmacAuthenticator(crypto.getRandomValues(new Uint8Array(32)));
      const forged = (nominate: boolean, senderControls: boolean): Uint8Array => {
        const sealed = authenticator.seal(encodePunchBody({ type: 'probe', nominate, senderControls, txid: crypto.getRandomValues(new Uint8Array(8)) }));
        return Uint8Array.of(PUNCH_MAGIC, ...sealed);
      };
      let sent = 0;
      const blast = (): void => {
        for (let i = 0; i < 5; i++) {
          canary.send(forged(false, false), a.local); // as if from the controlled side, to A
          canary.send(forged(true, true), b.local); // a nomination "from the controlling side", to B
          sent += 2;
        }
      };
      // B also claims an unverified candidate at the canary (a peer aiming A's probes at a victim).
      const claimed = describePeer(b);
      const planA = planPunch(describePeer(a), { ...claimed, candidates: [...claimed.candidates, { type: 'host', address: '127.0.0.3', port: canary.local.port, family: 4 }] });
      const planB = planPunch(describePeer(b), describePeer(a));
      expect(planA.strategy).toBe('simultaneous-open');
      expect(planA.allowedAddresses).toEqual(['127.0.0.2']);
      const fireAt = performance.now() + 150;
      const attemptA = startPunch({ plan: planA, socket: a, fireAt, role: 'controlling', authenticator, lingerMs: 100 }, { network });
      const attemptB = startPunch({ plan: planB, socket: b, fireAt, role: 'controlled', authenticator, lingerMs: 100 }, { network });
      // The storm starts before the fire time (both engines listen from their start) and goes on.
      await new Promise((r) => setTimeout(r, 50));
      blast();
      storm = setInterval(blast, 10);
      const [ra, rb] = await Promise.all([attemptA.result, attemptB.result]);
      clearInterval(storm);
      await new Promise((r) => setTimeout(r, 300));
      expect(ra.ok && rb.ok).toBe(true);
      if (!ra.ok || !rb.ok) return;
      expect(ra.remote).toEqual(b.local);
      expect(rb.remote).toEqual(a.local);
      expect(ra.stats.dropped + rb.stats.dropped, `${sent} forged probes sent`).toBeGreaterThanOrEqual(10);
      expect(heard).toEqual([]);
    } finally {
      clearInterval(storm);
      await a.close();
      await b.close();
      await canary.close();
    }
  });
});
