import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { createNodeNetwork } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { freeDualStackLoopbackPort } from '../../../net/test/free-loopback-port.js';
import { createPeer, type Peer, type PeerOptions } from '../../src/index.js';
import { accepted, startNatkitServe, useDualStackServe } from './natkit-serve.js';
import { untilDirect } from './wait-direct.js';

const network = createNodeNetwork();

/**
 * `natkit serve --address6 ::1` in one process, and with `--workers 2` in both UDP modes: the
 * rendezvous lives in the primary, and so do the IPv6 STUN sockets it verifies addresses on;
 * `startup` is what its dual-stack startup lines must say.
 */
const modes: readonly [string, () => Promise<readonly string[]> | readonly string[], RegExp][] = [
  ['one process', () => [], /dual stack: the rendezvous binds peers' IPv6 addresses \(address tokens in STUN Bindings\) on UDP \[::1\]:\d+\n/],
  [
    '--workers 2, --port 0 (worker ports of their own, Allocates redirected)',
    () => ['--workers', '2'],
    /300 ALTERNATE-SERVER[^]*dual stack: the rendezvous binds peers' IPv6 addresses \(address tokens in STUN Bindings\) on UDP \[::1\]:\d+ \(IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4\)/,
  ],
  [
    '--workers 2 on a fixed --port (shared with SO_REUSEPORT where this Node can)',
    async () => ['--workers', '2', '--port', String(await freeDualStackLoopbackPort(network))],
    /(shared by the 2 workers \(SO_REUSEPORT\)|300 ALTERNATE-SERVER)[^]*dual stack: the rendezvous binds peers' IPv6 addresses \(address tokens in STUN Bindings\) on UDP \[::1\]:\d+ \(IPv6 STUN and TURN in the primary process, with the rendezvous; the workers serve IPv4\)/,
  ],
];

describe.each(modes)('dual-stack peers over loopback with a real natkit serve --address6 ::1, %s', (_mode, extra, startup) => {
  const serve = useDualStackServe(extra);

  async function peer(dualStack: boolean, options: Partial<PeerOptions> = {}): Promise<Peer> {
    return createPeer({ server: serve.server, ...(dualStack ? { server6: serve.server6 } : {}), identity: Identity.fromSeed(randomBytes(32)), nat: 'skip', ...options }, { network });
  }

  it('says at start where the rendezvous verifies IPv6 addresses', () => {
    expect(serve.output).toMatch(startup);
    expect(serve.output).not.toMatch(/IPv6 STUN only/);
  });

  it('both dual stack: the server verifies their IPv6 addresses and they end on a direct IPv6 path', async () => {
    const [alice, bob] = [await peer(true), await peer(true)];
    try {
      expect(alice.addresses.second).toEqual({ local: { address: '::1', port: expect.any(Number) as number }, verified: { address: '::1', port: alice.addresses.second?.local.port } });
      expect(bob.addresses.second?.verified?.address).toBe('::1');
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      await untilDirect(a);
      await untilDirect(b);
      expect(a.path).toMatchObject({ kind: 'direct', family: 6, remote: { address: '::1', port: bob.addresses.second?.local.port }, local: { address: '::1', port: alice.addresses.second?.local.port } });
      expect(b.path).toMatchObject({ kind: 'direct', family: 6, remote: { address: '::1', port: alice.addresses.second?.local.port } });
      expect(a.stats().family).toBe(6);
      const got = new Promise<string>((ok) => b.onMessage((m) => ok(new TextDecoder().decode(m))));
      a.send(new TextEncoder().encode('over IPv6'));
      expect(await got).toBe('over IPv6');
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 30_000);

  it('one side IPv4-only: a direct IPv4 path, as before; no IPv6 address is ever the other side\'s target', async () => {
    const [alice, bob] = [await peer(true), await peer(false)];
    try {
      expect(bob.addresses.second).toBeNull();
      const incoming = accepted(bob);
      const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
      const b = await incoming;
      await untilDirect(a);
      await untilDirect(b);
      expect(a.path).toMatchObject({ kind: 'direct', family: 4, remote: { address: '127.0.0.1' } });
      expect(b.path).toMatchObject({ kind: 'direct', family: 4, remote: { address: '127.0.0.1' } });
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 30_000);
});

describe('dual-stack peers and a server without IPv6 STUN', () => {
  it('server6 names a server without IPv6 STUN: the peer has no second family and connects over IPv4 as before', async () => {
    const plain = await startNatkitServe();
    try {
      const server = { address: '127.0.0.1', port: plain.port };
      const options = { server, server6: { address: '::1', port: plain.port }, nat: 'skip' as const };
      const alice = await createPeer({ ...options, identity: Identity.fromSeed(randomBytes(32)) }, { network });
      const bob = await createPeer({ ...options, identity: Identity.fromSeed(randomBytes(32)) }, { network });
      try {
        expect(alice.addresses.second).toBeNull();
        const incoming = accepted(bob);
        const a = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(10_000) });
        await incoming;
        await untilDirect(a);
        expect(a.path).toMatchObject({ kind: 'direct', family: 4, remote: { address: '127.0.0.1', port: bob.addresses.local.port } });
      } finally {
        await alice.close();
        await bob.close();
      }
    } finally {
      await plain.stop();
    }
  }, 30_000);
});
