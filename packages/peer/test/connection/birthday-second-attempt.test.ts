/**
 * createPeer over the virtual network: symmetric random (A) connects to a port-restricted cone
 * (B): birthday punching. A's first attempt is made to fail (its punch datagrams are dropped at
 * its sockets for the attempt's whole length, so its 256 NAT mappings never open): the connection
 * stays on the relay, and a second attempt follows at once, with fresh sockets and new probe
 * ports, long before the 30 s re-probe backoff, and ends direct.
 */
import { birthdayProbesFor, PUNCH_MAGIC, SERIES_GAP_MS } from '@natkit/punch';
import type { NatProfile } from '@natkit/rendezvous';
import { natPresets, type NatOptions } from '@natkit/vnet';
import { expect, it } from 'vitest';
import { accepted } from './natkit-serve.js';
import { startVnetSite } from './vnet-site.js';
import { waitDirect } from './wait-direct.js';

/** One default birthday attempt: 1,144 probes at 100 per second, then 2 s for answers. */
const ATTEMPT_MS = birthdayProbesFor(257, 0.99, 64_512) * 10 + 2_000;

function profileOf(nat: NatOptions): NatProfile {
  const random = nat.portAllocation === 'random';
  return {
    ipv4: { udp: true, mapping: nat.mapping ?? 'endpoint-independent', filtering: nat.filtering ?? 'address-and-port-dependent', allocation: { pattern: random ? 'random' : 'preserving', step: null }, hairpinning: false, mappingLifetimeSeconds: null },
    ipv6: null,
  };
}


it('a failed first birthday attempt is followed at once by a second one, which ends direct before the re-probe backoff', async () => {
  expect(ATTEMPT_MS).toBe(13_440);
  const site = await startVnetSite(21);
  try {
    let firstPunch: number | null = null;
    let dropped = 0;
    const dropSend = (data: Uint8Array): boolean => {
      if (data[0] !== PUNCH_MAGIC) return false;
      firstPunch ??= performance.now();
      const inFirst = performance.now() - firstPunch < ATTEMPT_MS + SERIES_GAP_MS / 2;
      if (inFirst) dropped++;
      return inFirst;
    };
    const b = await site.addPeer(natPresets.portRestrictedCone, { nat: profileOf(natPresets.portRestrictedCone) });
    const a = await site.addPeer(natPresets.symmetric, { nat: profileOf(natPresets.symmetric), dropSend });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, a.host.openSockets)), 20);
    try {
      const incoming = accepted(b.peer);
      const ca = await a.peer.connect(b.peer.peerId, { signal: AbortSignal.timeout(10_000) });
      await incoming;
      expect(ca.stats().strategy).toBe('birthday');
      expect(ca.stats().strategyReason).toMatch(/P\(direct\) = 0\.99\d+; a failed attempt is followed at once by another, up to 2: P\(direct\) = 0\.9999/);
      expect(await waitDirect(ca, 2 * ATTEMPT_MS + 3_000), `${ca.stats().strategyReason}; dropped ${dropped}`).toBe(true);
      // The first attempt really sent (and lost) its rounds: 257 sockets, a round every 2 s.
      expect(dropped).toBeGreaterThan(1_000);
      // Direct on the second attempt: after the first one's end, well before the 30 s backoff.
      expect(ca.directAfterMs).toBeGreaterThan(ATTEMPT_MS);
      expect(ca.directAfterMs).toBeLessThan(2 * ATTEMPT_MS + 2 * SERIES_GAP_MS);
      // One attempt's sockets at a time: the main one, 256 extra, and the punched one kept.
      expect(peak).toBeGreaterThan(256);
      expect(peak).toBeLessThanOrEqual(1 + 256 + 2);
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await site.close();
  }
}, 60_000);
