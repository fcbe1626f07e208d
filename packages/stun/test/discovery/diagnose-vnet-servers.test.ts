/**
 * The discovery against STUN servers that do not do RFC 5780 properly, over the virtual network:
 * a server that names an OTHER-ADDRESS but ignores CHANGE-REQUEST (answering from where the
 * request went, or not at all). The report must say "unknown", never guess, and never claim
 * endpoint-independent filtering.
 */
import { describe, expect, it } from 'vitest';
import type { Endpoint, Network } from '@natkit/net';
import { createPrng, createVirtualNetwork, ManualClock, natPresets, type NatOptions } from '@natkit/vnet';
import {
  decodeMessage,
  diagnose,
  encodeMessage,
  otherAddress,
  readChangeRequest,
  StunMethod,
  xorMappedAddress,
  type FamilyReport,
} from '../../src/index.js';

const PRIMARY = { address: '203.0.113.1', port: 3478 };
const ALTERNATE = { address: '203.0.113.2', port: 3479 };

/**
 * How the fake server treats a Binding request with CHANGE-REQUEST: 'answer-here' answers it from
 * the socket it came to (as many RFC 5389-only servers do), 'drop' stays silent.
 */
type ChangeRequestHandling = 'answer-here' | 'drop';

/** A Binding responder on 203.0.113.1/.2 x 3478/3479 that advertises OTHER-ADDRESS. */
async function bindFakeServer(network: Network, handling: ChangeRequestHandling) {
  const sockets = await Promise.all(
    [PRIMARY.address, ALTERNATE.address].flatMap((address) =>
      [PRIMARY.port, ALTERNATE.port].map((port) => network.bindUdp({ family: 4, address, port })),
    ),
  );
  const counts = { requests: 0, changeRequests: 0 };
  for (const socket of sockets) {
    socket.onMessage((data: Uint8Array, from: Endpoint) => {
      const decoded = decodeMessage(data);
      if (!decoded.ok || decoded.value.method !== StunMethod.Binding || decoded.value.class !== 'request') return;
      counts.requests++;
      if (readChangeRequest(decoded.value) !== undefined) {
        counts.changeRequests++;
        if (handling === 'drop') return;
      }
      const response = encodeMessage(
        {
          method: StunMethod.Binding,
          class: 'success',
          transactionId: decoded.value.transactionId,
          attributes: [xorMappedAddress(from), otherAddress(ALTERNATE)],
        },
        { fingerprint: true },
      );
      socket.send(response, from);
    });
  }
  return { counts, close: () => Promise.all(sockets.map((s) => s.close())) };
}

async function diagnoseAgainstFake(nat: NatOptions, handling: ChangeRequestHandling, seed = 1): Promise<{ report: FamilyReport; changeRequests: number }> {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed });
  const serverHost = vnet.createHost(vnet.internet, { ipv4: [PRIMARY.address, ALTERNATE.address], ipv6: false });
  const server = await bindFakeServer(serverHost.network, handling);
  const client = vnet.createHost(vnet.createRouter(vnet.internet, { nat }), { ipv6: false });
  const prng = createPrng(seed);
  try {
    const report = await clock.runUntil(
      diagnose(
        { servers: [PRIMARY], families: [4], hairpin: true },
        { network: client.network, clock, random: (n) => Uint8Array.from({ length: n }, () => prng.int(256)) },
      ),
    );
    return { report: report.ipv4!, changeRequests: server.counts.changeRequests };
  } finally {
    await server.close();
    await vnet.close();
  }
}

const nats = {
  'full cone': natPresets.fullCone,
  'restricted cone': natPresets.restrictedCone,
  'port-restricted cone': natPresets.portRestrictedCone,
  symmetric: natPresets.symmetric,
  'APDM with EIF': { mapping: 'address-and-port-dependent', filtering: 'endpoint-independent' },
} satisfies Record<string, NatOptions>;

describe('diagnose over vnet against a server that ignores CHANGE-REQUEST', () => {
  it.each(Object.entries(nats))('answered from the wrong address, behind a %s NAT: filtering unknown, server flagged', async (_, nat) => {
    const { report: r, changeRequests } = await diagnoseAgainstFake(nat, 'answer-here');
    expect(changeRequests).toBeGreaterThan(0);
    expect(r.filtering).toBe('unknown');
    expect(r.servers[0]?.behaviorDiscovery).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/ignores CHANGE-REQUEST/);
    expect(r.classic).not.toBe('full-cone');
    expect(r.classic).not.toBe('open-internet');
    // The mapping tests do not need CHANGE-REQUEST: they still work.
    expect(r.mapping).toBe(nat.mapping);
  });

  it.each(Object.entries(nats))('silent on CHANGE-REQUEST, behind a %s NAT: never endpoint-independent filtering', async (_, nat) => {
    const { report: r, changeRequests } = await diagnoseAgainstFake(nat, 'drop');
    expect(changeRequests).toBeGreaterThan(0);
    expect(r.filtering).not.toBe('endpoint-independent');
    expect(r.servers[0]?.behaviorDiscovery).not.toBe(true);
    expect(r.mapping).toBe(nat.mapping);
  });

  // With an endpoint-independent mapping, a CHANGE-REQUEST from the socket that has contacted the
  // alternate address must be answered whatever the filtering; its silence shows the server, not
  // the NAT, is mute, so the filtering tests' silence is no evidence either.
  it.each(['full cone', 'restricted cone', 'port-restricted cone'] as const)(
    'silent on CHANGE-REQUEST, behind a %s NAT (EIM): filtering unknown, not a guess from silence',
    async (name) => {
      const { report: r } = await diagnoseAgainstFake(nats[name], 'drop');
      expect(r.filtering).toBe('unknown');
      expect(r.classic).toBe('unknown');
      expect(r.warnings.join('\n')).toMatch(/CHANGE-REQUEST/);
    },
  );
});
