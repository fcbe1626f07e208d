import { describe, expect, it } from 'vitest';
import { decodeMessage, type StunMessage } from '@natkit/stun';
import { channelNumber, data, readData, readXorPeerAddress, readXorRelayedAddresses, requestedTransport, TurnMethod, xorPeerAddress } from '../../src/proto/index.js';
import { errorCodeOf, type RawTurnClient } from './raw-turn-client.js';
import { vnetTurnSite, type VnetTurnSite } from './vnet-fixture.js';

/*
 * Relay to relay: two peers that both only reach this relay (no UDP, or both behind NATs that
 * cannot be punched) each hold an allocation, and each sends through its own to the other's
 * relayed transport address. The server's own addresses are refused as peers (server-address),
 * except exactly such a relayed address it holds; its listening port and every other port of its
 * own address stay refused. On the virtual internet (public 203.0.113.0/24), default filter.
 */
const UDP = requestedTransport(17);

type Relayed = { address: string; port: number };

async function allocate(site: VnetTurnSite, user: string): Promise<{ client: RawTurnClient; relayed: Relayed }> {
  const client = await site.client(user, `${user}-pw`);
  const ok = await site.run(client.request(TurnMethod.Allocate, [UDP]));
  expect(ok.class).toBe('success');
  return { client, relayed: (readXorRelayedAddresses(ok) as Relayed[])[0]! };
}

function dataIndications(c: RawTurnClient): StunMessage[] {
  return c.received
    .map((r) => decodeMessage(r.data))
    .filter((r) => r.ok)
    .map((r) => r.value)
    .filter((m) => m.class === 'indication');
}

describe('relay to relay on one server, with the default peer filter', () => {
  it("each allocation sends to the other's relayed address; the data arrives as a Data indication from the sender's relayed address", async () => {
    const site = await vnetTurnSite();
    const a = await allocate(site, 'alice');
    const b = await allocate(site, 'bob');
    expect(a.relayed.address).toBe(site.serverAddress.address);
    expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress(b.relayed)])))).toBe(0);
    expect(errorCodeOf(await site.run(b.client.request(TurnMethod.CreatePermission, [xorPeerAddress(a.relayed)])))).toBe(0);
    a.client.sendIndication(TurnMethod.Send, [xorPeerAddress(b.relayed), data(Uint8Array.of(7, 7))]);
    await site.clock.advance(100);
    const got = dataIndications(b.client);
    expect(got).toHaveLength(1);
    expect(readXorPeerAddress(got[0]!)).toEqual(a.relayed);
    expect(Array.from(readData(got[0]!) ?? [])).toEqual([7, 7]);
    // ChannelBind to the other relayed address passes the same filter.
    expect(errorCodeOf(await site.run(b.client.request(TurnMethod.ChannelBind, [channelNumber(0x4001), xorPeerAddress(a.relayed)])))).toBe(0);
    expect(site.server.stats().drops['peer-denied'] ?? 0).toBe(0);
  });

  it('still refuses its listening port, its address outside the relay range, and a relay port it does not hold', async () => {
    const site = await vnetTurnSite(); // relay ports 50000-50099
    const a = await allocate(site, 'alice');
    const own = site.serverAddress.address;
    const unheld = a.relayed.port === 50099 ? 50098 : 50099;
    const refused: Relayed[] = [site.serverAddress, { address: own, port: 40000 }, { address: own, port: unheld }];
    for (const [i, peer] of refused.entries()) {
      expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress(peer)]))), `CreatePermission ${peer.port}`).toBe(403);
      expect(errorCodeOf(await site.run(a.client.request(TurnMethod.ChannelBind, [channelNumber(0x4000 + i), xorPeerAddress(peer)]))), `ChannelBind ${peer.port}`).toBe(403);
      a.client.sendIndication(TurnMethod.Send, [xorPeerAddress(peer), data(Uint8Array.of(1))]);
    }
    await site.clock.advance(100);
    expect(site.server.stats().drops['peer-denied']).toBe(refused.length * 3);
    expect(site.server.stats().packetsToPeers).toBe(0);
  });

  it('with siblingRelayPorts (--workers: processes split the range), a sibling\'s slice on its own address is a relayed address; ports outside the whole range are not', async () => {
    const site = await vnetTurnSite({ siblingRelayPorts: { low: 50000, high: 50299 } }); // own slice 50000-50099
    const a = await allocate(site, 'alice');
    const own = site.serverAddress.address;
    expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: own, port: 50200 })])))).toBe(0);
    for (const port of [50300, 40000, site.serverAddress.port]) {
      expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: own, port })]))), `port ${port}`).toBe(403);
    }
  });

  it("never takes a listening port for a sibling's relayed address (a TLS or worker port inside the range), nor binds a relay socket there", async () => {
    const site = await vnetTurnSite({ relayPorts: { low: 50000, high: 50001 }, siblingRelayPorts: { low: 50000, high: 50299 } });
    const own = site.serverAddress.address;
    site.server.addListeners([{ address: '0.0.0.0', port: 50200 }, { address: own, port: 50000 }]); // --tls-port 50200, a worker's UDP 50000
    const a = await allocate(site, 'alice');
    expect(a.relayed.port).toBe(50001); // 50000 is a listening port: never a relay socket
    const b = await site.client('bob', 'bob-pw');
    expect(errorCodeOf(await site.run(b.request(TurnMethod.Allocate, [UDP])))).toBe(508);
    for (const port of [50200, 50000]) {
      expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: own, port })]))), `port ${port}`).toBe(403);
    }
    expect(errorCodeOf(await site.run(a.client.request(TurnMethod.CreatePermission, [xorPeerAddress({ address: own, port: 50201 })])))).toBe(0);
  });
});
