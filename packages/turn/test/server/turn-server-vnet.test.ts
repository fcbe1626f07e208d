import { describe, expect, it } from 'vitest';
import { decodeMessage, readNonce, readXorMappedAddress } from '@natkit/stun';
import {
  channelNumber,
  data,
  decodeChannelData,
  encodeChannelData,
  evenPort,
  lifetime,
  readData,
  readLifetime,
  readReservationToken,
  readXorPeerAddress,
  readXorRelayedAddresses,
  requestedAddressFamily,
  requestedTransport,
  reservationToken,
  TurnMethod,
  xorPeerAddress,
} from '../../src/proto/index.js';
import { restPassword } from '../../src/auth/rest-credentials.js';
import { errorCodeOf } from './raw-turn-client.js';
import { vnetTurnSite } from './vnet-fixture.js';

const UDP = requestedTransport(17);

describe('TURN server over the virtual network', () => {
  it('Allocate: 401 first, then XOR-RELAYED-ADDRESS, LIFETIME 600 and XOR-MAPPED-ADDRESS; a retransmission gets the same answer, a new Allocate 437', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    const ok = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    expect(ok.class).toBe('success');
    const relayed = readXorRelayedAddresses(ok);
    expect(relayed).toEqual([{ address: site.serverAddress.address, port: expect.any(Number) }]);
    expect(readLifetime(ok)).toBe(600);
    expect(readXorMappedAddress(ok)).toEqual({ address: expect.stringMatching(/^203\.0\.113\./), port: c.socket.local.port });
    const again = c.encode(TurnMethod.Allocate, [UDP]);
    const first = await site.run(c.exchange(again));
    const retransmitted = await site.run(c.exchange(again));
    expect(errorCodeOf(first)).toBe(437);
    expect(Buffer.from(retransmitted.raw).equals(Buffer.from(first.raw))).toBe(true);
    expect(site.server.stats()).toMatchObject({ allocations: 1, responses: { 401: 1 } });
  });

  it('CreatePermission + Send reach the peer; the peer answer comes back as a Data indication; unpermitted peers are dropped both ways', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    const peer = await site.peer();
    const stranger = await site.peer();
    const alloc = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    const relayed = (readXorRelayedAddresses(alloc) as { address: string; port: number }[])[0]!;
    c.sendIndication(TurnMethod.Send, [xorPeerAddress(peer.socket.local), data(Uint8Array.of(1, 2, 3))]);
    await site.clock.advance(100);
    expect(peer.received).toHaveLength(0); // no permission yet
    const perm = await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress(peer.socket.local)]));
    expect(perm.class).toBe('success');
    c.sendIndication(TurnMethod.Send, [xorPeerAddress(peer.socket.local), data(Uint8Array.of(1, 2, 3))]);
    await site.clock.advance(100);
    expect(peer.received.map((r) => Array.from(r.data))).toEqual([[1, 2, 3]]);
    expect(peer.received[0]?.from).toEqual(relayed);
    peer.socket.send(Uint8Array.of(9, 8), relayed);
    stranger.socket.send(Uint8Array.of(6, 6), relayed);
    await site.clock.advance(100);
    const indications = c.received.map((r) => decodeMessage(r.data)).filter((r) => r.ok).map((r) => r.value);
    expect(indications).toHaveLength(1);
    expect(readXorPeerAddress(indications[0]!)).toEqual(peer.socket.local);
    expect(Array.from(readData(indications[0]!) ?? [])).toEqual([9, 8]);
    expect(site.server.stats().drops).toMatchObject({ 'no-permission': 2 });
  });

  it('permissions expire after 300 s: traffic drops both ways', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    const peer = await site.peer();
    const alloc = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    const relayed = (readXorRelayedAddresses(alloc) as { address: string; port: number }[])[0]!;
    await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress(peer.socket.local)]));
    await site.clock.advance(301_000);
    c.sendIndication(TurnMethod.Send, [xorPeerAddress(peer.socket.local), data(Uint8Array.of(1))]);
    peer.socket.send(Uint8Array.of(2), relayed);
    await site.clock.advance(100);
    expect(peer.received).toHaveLength(0);
    expect(c.received).toHaveLength(0);
    expect(site.server.stats().drops).toMatchObject({ 'no-permission': 2 });
  });

  it('ChannelBind: ChannelData both ways; 400 for the same peer on another channel and for a number outside 0x4000-0x4FFF', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    const peer = await site.peer();
    const alloc = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    const relayed = (readXorRelayedAddresses(alloc) as { address: string; port: number }[])[0]!;
    const bound = await site.run(c.request(TurnMethod.ChannelBind, [channelNumber(0x4001), xorPeerAddress(peer.socket.local)]));
    expect(bound.class).toBe('success');
    const other = await site.run(c.request(TurnMethod.ChannelBind, [channelNumber(0x4002), xorPeerAddress(peer.socket.local)]));
    expect(errorCodeOf(other)).toBe(400);
    const legacy = await site.run(c.request(TurnMethod.ChannelBind, [channelNumber(0x5000), xorPeerAddress({ ...peer.socket.local, port: 1 })]));
    expect(errorCodeOf(legacy)).toBe(400);
    c.socket.send(encodeChannelData(0x4001, Uint8Array.of(5, 5, 5), { pad: true }), site.serverAddress);
    await site.clock.advance(100);
    expect(peer.received.map((r) => Array.from(r.data))).toEqual([[5, 5, 5]]);
    peer.socket.send(Uint8Array.of(7), relayed);
    await site.clock.advance(100);
    const cd = decodeChannelData(c.received[0]!.data);
    expect(cd.ok && cd.value.channel === 0x4001 && Array.from(cd.value.data)).toEqual([7]);
  });

  it('Refresh: LIFETIME 0 deletes (then 437), other values are granted within 600-3600 s', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    await site.run(c.request(TurnMethod.Allocate, [UDP]));
    expect(readLifetime(await site.run(c.request(TurnMethod.Refresh, [lifetime(99_999)])))).toBe(3600);
    expect(readLifetime(await site.run(c.request(TurnMethod.Refresh, [lifetime(0)])))).toBe(0);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Refresh, [lifetime(600)])))).toBe(437);
    expect(site.server.stats()).toMatchObject({ allocations: 0, allocationsDeleted: 1 });
  });

  it('an allocation expires with its lifetime; its relay port is freed', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    await site.run(c.request(TurnMethod.Allocate, [UDP]));
    await site.clock.advance(601_000);
    expect(site.server.stats()).toMatchObject({ allocations: 0, allocationsDeleted: 1 });
  });

  it('EVEN-PORT R=1 reserves the next port under a RESERVATION-TOKEN that a second Allocate takes', async () => {
    const site = await vnetTurnSite();
    const rtp = await site.client();
    const rtcp = await site.client();
    const first = await site.run(rtp.request(TurnMethod.Allocate, [UDP, evenPort(true)]));
    const port = (readXorRelayedAddresses(first) as readonly { port: number }[])[0]!.port;
    expect(port % 2).toBe(0);
    const token = readReservationToken(first) as Uint8Array;
    expect(token).toHaveLength(8);
    const second = await site.run(rtcp.request(TurnMethod.Allocate, [UDP, reservationToken(token)]));
    expect((readXorRelayedAddresses(second) as readonly { port: number }[])[0]!.port).toBe(port + 1);
    const reused = await site.run((await site.client()).request(TurnMethod.Allocate, [UDP, reservationToken(token)]));
    expect(errorCodeOf(reused)).toBe(508);
  });

  it('every error code: 400, 403, 420, 437, 440, 441, 442, 443, 486, 508', async () => {
    const site = await vnetTurnSite({ quotas: { allocationsPerUser: 1, allocations: 2 } });
    const c = await site.client();
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [])))).toBe(400);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [requestedTransport(6)])))).toBe(442);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [UDP, requestedAddressFamily(6)])))).toBe(440);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [UDP, { type: 0x7ff0, value: new Uint8Array(4) }])))).toBe(420);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [UDP, evenPort(false), reservationToken(new Uint8Array(8))])))).toBe(400);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: '203.0.113.200', port: 1 })])))).toBe(437);
    expect((await site.run(c.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(errorCodeOf(await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: '10.0.0.1', port: 1 })])))).toBe(403);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: '2001:db8::1', port: 1 })])))).toBe(443);
    expect(errorCodeOf(await site.run(c.request(TurnMethod.CreatePermission, [])))).toBe(400);
    // 441: another user on the same 5-tuple.
    const bobOnAlice = await (async () => {
      const { RawTurnClient } = await import('./raw-turn-client.js');
      return new RawTurnClient(c.socket, site.serverAddress, 'bob', 'bob-pw');
    })();
    expect(errorCodeOf(await site.run(bobOnAlice.request(TurnMethod.Refresh, [lifetime(600)])))).toBe(441);
    expect(errorCodeOf(await site.run((await site.client()).request(TurnMethod.Allocate, [UDP])))).toBe(486);
    expect((await site.run((await site.client('bob', 'bob-pw')).request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(errorCodeOf(await site.run((await site.client('bob', 'bob-pw')).request(TurnMethod.Allocate, [UDP])))).toBe(486);
  });

  it('508 when the relay port range is exhausted, and total quota', async () => {
    const site = await vnetTurnSite({ relayPorts: { low: 50000, high: 50001 } });
    for (let i = 0; i < 2; i++) expect((await site.run((await site.client()).request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(errorCodeOf(await site.run((await site.client()).request(TurnMethod.Allocate, [UDP])))).toBe(508);
    const total = await vnetTurnSite({ quotas: { allocations: 1 } });
    expect((await total.run((await total.client()).request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(errorCodeOf(await total.run((await total.client('bob', 'bob-pw')).request(TurnMethod.Allocate, [UDP])))).toBe(508);
  });

  it('a wrong password gets 401 and no allocation', async () => {
    const site = await vnetTurnSite();
    const c = await site.client('alice', 'wrong');
    expect(errorCodeOf(await site.run(c.request(TurnMethod.Allocate, [UDP])))).toBe(401);
    expect(site.server.stats()).toMatchObject({ allocations: 0, pendingAllocations: 0 });
  });

  it('self-issued REST credentials when no users or secrets are configured', async () => {
    const site = await vnetTurnSite({ users: new Map() });
    expect(site.server.authModes).toEqual(['self-issued']);
    const creds = site.server.mintCredentials('peer-1', 600);
    expect(creds.password).not.toMatch(/[+/]/);
    const c = await site.client(creds.username, creds.password);
    expect((await site.run(c.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    const guess = await site.client('peer-1', 'guess');
    expect(errorCodeOf(await site.run(guess.request(TurnMethod.Allocate, [UDP])))).toBe(401);
  });

  it('with static users only, still mints credentials it accepts (from a generated secret, never an empty one)', async () => {
    const site = await vnetTurnSite();
    expect(site.server.authModes).toEqual(['static-users', 'self-issued']);
    const creds = site.server.mintCredentials('peer-2', 600);
    const c = await site.client(creds.username, creds.password);
    expect((await site.run(c.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    const forged = await site.client(creds.username, restPassword('', creds.username));
    expect(errorCodeOf(await site.run(forged.request(TurnMethod.Allocate, [UDP])))).toBe(401);
  });

  it('logs no password, secret, key or integrity value, at any level', async () => {
    const site = await vnetTurnSite({ authSecrets: ['rest-secret-xyz'] });
    const c = await site.client();
    const wrong = await site.client('bob', 'not-bobs-password');
    const alloc = await site.run(c.request(TurnMethod.Allocate, [UDP]));
    await site.run(wrong.request(TurnMethod.Allocate, [UDP]));
    await site.run(c.request(TurnMethod.Refresh, [lifetime(0)]));
    await site.server.close();
    const text = site.logs.join('\n');
    expect(site.logs.length).toBeGreaterThan(2);
    const key = Buffer.from(c.key);
    const integrity = alloc.attributes.find((a) => a.type === 0x0008)?.value ?? new Uint8Array(20);
    for (const secret of ['alice-pw', 'bob-pw', 'not-bobs-password', 'rest-secret-xyz', key.toString('hex'), key.toString('base64'), Buffer.from(integrity).toString('hex')]) {
      expect(text).not.toContain(secret);
    }
  });

  it('offers username anonymity (USERHASH) only without REST secrets: REST users cannot be found from a hash', async () => {
    const prefixOf = async (site: Awaited<ReturnType<typeof vnetTurnSite>>): Promise<string> => {
      const c = await site.client();
      const challenge = await site.run(c.exchange(c.encode(TurnMethod.Allocate, [UDP])));
      return (readNonce(challenge) ?? '').slice(0, 13);
    };
    expect(await prefixOf(await vnetTurnSite())).toBe('obMatJos2AAAD');
    expect(await prefixOf(await vnetTurnSite({ authSecrets: ['s'] }))).toBe('obMatJos2AAAB');
    expect(await prefixOf(await vnetTurnSite({ users: new Map() }))).toBe('obMatJos2AAAB');
  });

  it('438 Stale Nonce after the nonce lifetime, with a fresh nonce that the retry uses', async () => {
    const site = await vnetTurnSite({ nonceLifetimeSeconds: 60 });
    const c = await site.client();
    await site.run(c.request(TurnMethod.Allocate, [UDP]));
    await site.clock.advance(61_000);
    const stale = await site.run(c.exchange(c.encode(TurnMethod.Refresh, [lifetime(600)])));
    expect(errorCodeOf(stale)).toBe(438);
    expect(readNonce(stale)).toMatch(/^obMatJos2AAAD/);
    const retried = await site.run(c.request(TurnMethod.Refresh, [lifetime(600)]));
    expect(retried.class).toBe('success');
    expect(site.server.stats().responses).toMatchObject({ 438: 2 });
  });

  it('a new Allocate on the 5-tuple of an expired allocation succeeds even before the sweep', async () => {
    const site = await vnetTurnSite();
    const c = await site.client();
    await site.run(c.request(TurnMethod.Allocate, [UDP]));
    await site.clock.advance(600_000); // exactly the lifetime: expired, the 1 s sweep may not have run
    expect((await site.run(c.request(TurnMethod.Allocate, [UDP]))).class).toBe('success');
    expect(site.server.stats().allocations).toBe(1);
  });
});
