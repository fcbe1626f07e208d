import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork, type Network } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { createPeer, type Peer, type PeerConnection } from '../../src/index.js';
import { accepted, useDualStackServe } from './natkit-serve.js';
import { switchableIpv6Network } from './switchable-ipv6-network.js';
import { untilDirect } from './wait-direct.js';

const dualStack = useDualStackServe();

/** A dual-stack peer (server6) over `network`; no interface polling: the tests call refreshNat(). */
function dualStackPeer(network: Network): Promise<Peer> {
  const options = { server: dualStack.server, server6: dualStack.server6, nat: 'skip' as const, watchNetworkMs: false as const };
  return createPeer({ ...options, identity: Identity.fromSeed(randomBytes(32)) }, { network });
}


/** A new connection from `from` to `to`, once direct on both sides: the initiator's side. */
async function connectDirect(from: Peer, to: Peer): Promise<{ a: PeerConnection; b: PeerConnection }> {
  const incoming = accepted(to);
  const a = await from.connect(to.peerId, { signal: AbortSignal.timeout(10_000) });
  const b = await incoming;
  await untilDirect(a);
  await untilDirect(b);
  return { a, b };
}

describe('refreshNat() re-measures and re-verifies the second family (real natkit serve --address6 ::1)', () => {
  it('IPv6 appears after start: refreshNat opens the IPv6 socket, the rendezvous verifies it, a new connection goes direct over IPv6', async () => {
    const host = switchableIpv6Network(false);
    const alice = await dualStackPeer(host.network);
    const bob = await dualStackPeer(createNodeNetwork());
    try {
      expect(alice.addresses.second).toBeNull();
      host.setIpv6(true);
      await alice.refreshNat();
      const second = alice.addresses.second;
      expect(second?.local.address).toBe('::1');
      expect(second?.verified).toEqual({ address: '::1', port: second?.local.port });
      const { a, b } = await connectDirect(bob, alice);
      expect(a.path).toMatchObject({ kind: 'direct', family: 6, remote: { address: '::1', port: second?.local.port } });
      expect(b.path).toMatchObject({ kind: 'direct', family: 6, local: { address: '::1', port: second?.local.port } });
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 40_000);

  it('IPv6 goes away: its candidates and verified address are dropped (IPv4 direct); when it is back, a new socket is verified and used', async () => {
    const host = switchableIpv6Network(true);
    const alice = await dualStackPeer(host.network);
    const bob = await dualStackPeer(createNodeNetwork());
    try {
      const first = alice.addresses.second;
      expect(first?.verified).toEqual({ address: '::1', port: first?.local.port });

      host.setIpv6(false);
      await alice.refreshNat();
      expect(alice.addresses.second).toBeNull();
      const over4 = await connectDirect(bob, alice);
      expect(over4.a.path).toMatchObject({ kind: 'direct', family: 4, remote: { address: '127.0.0.1', port: alice.addresses.local.port } });
      over4.a.close();

      host.setIpv6(true);
      await alice.refreshNat();
      const again = alice.addresses.second;
      expect(again?.local.port).not.toBe(first?.local.port);
      expect(again?.verified).toEqual({ address: '::1', port: again?.local.port });
      const over6 = await connectDirect(alice, bob);
      expect(over6.a.path).toMatchObject({ kind: 'direct', family: 6, local: { address: '::1', port: again?.local.port }, remote: { address: '::1' } });
      const got = new Promise<string>((ok) => over6.b.onMessage((m) => ok(new TextDecoder().decode(m))));
      over6.a.send(new TextEncoder().encode('over the new IPv6 socket'));
      expect(await got).toBe('over the new IPv6 socket');
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 60_000);

  it('the IPv6 socket is kept but the server sees it at a new address (rebinding): refreshNat proves the new one, a new connection goes there', async () => {
    const host = switchableIpv6Network(true);
    const alice = await dualStackPeer(host.network);
    const bob = await dualStackPeer(createNodeNetwork());
    try {
      const before = alice.addresses.second;
      expect(before?.verified).toEqual({ address: '::1', port: before?.local.port });
      await host.rebindIpv6();
      await alice.refreshNat();
      const after = alice.addresses.second;
      expect(after?.local).toEqual(before?.local);
      expect(after?.verified?.address).toBe('::1');
      expect(after?.verified?.port).not.toBe(before?.local.port);
      const { a } = await connectDirect(bob, alice);
      expect(a.path).toMatchObject({ kind: 'direct', family: 6, remote: { address: '::1', port: after?.verified?.port } });
      expect(host.openIpv6Sockets()).toBe(1);
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 40_000);

  it('refreshes at the same time share one second-family refresh (one IPv6 socket open, not one per call)', async () => {
    const host = switchableIpv6Network(false);
    const alice = await dualStackPeer(host.network);
    try {
      host.setIpv6(true);
      await Promise.all([alice.refreshNat(), alice.refreshNat(), alice.refreshNat()]);
      expect(host.openIpv6Sockets()).toBe(1);
      expect(alice.addresses.second?.verified).toEqual({ address: '::1', port: alice.addresses.second?.local.port });
    } finally {
      await alice.close();
    }
    expect(host.openIpv6Sockets()).toBe(0);
  }, 40_000);
});
