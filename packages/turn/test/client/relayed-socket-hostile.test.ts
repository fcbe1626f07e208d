import { createTransactionId, encodeMessage } from '@natkit/stun';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { data, encodeChannelData, TurnMethod } from '../../src/index.js';
import { collect, vnetRelaySite } from './vnet-relay-site.js';

/*
 * A relayed socket treats what arrives on its control socket as hostile: seeded floods of random
 * bytes, ChannelData with bad lengths or unbound channels, Data indications with malformed or
 * missing attributes, and stray STUN answers, sent from the server's own address, must not throw,
 * must deliver nothing, and must leave the relay working.
 */
const hostileDatagram = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 200 }),
  // ChannelData with any channel and a length field that may lie.
  fc.tuple(fc.integer({ min: 0x4000, max: 0x7fff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 })).map(([ch, len, body]) => {
    const out = new Uint8Array(4 + body.length);
    out.set([ch >> 8, ch & 0xff, len >> 8, len & 0xff]);
    out.set(body, 4);
    return out;
  }),
  // Data indications without XOR-PEER-ADDRESS, or with a garbage one.
  fc.uint8Array({ maxLength: 40 }).map((junk) =>
    encodeMessage({ method: TurnMethod.Data, class: 'indication', transactionId: createTransactionId(), attributes: [{ type: 0x0012, value: junk }, data(junk)] }),
  ),
  fc.uint8Array({ maxLength: 40 }).map((junk) => encodeMessage({ method: TurnMethod.Data, class: 'indication', transactionId: createTransactionId(), attributes: [data(junk)] })),
  // Answers to transactions nobody sent.
  fc.constantFrom(TurnMethod.Allocate, TurnMethod.Refresh, TurnMethod.ChannelBind).map((method) => encodeMessage({ method, class: 'success', transactionId: createTransactionId() })),
);

describe('RelayedSocket under hostile input from the server address', () => {
  it('drops 2000 seeded hostile datagrams without throwing or delivering, then still relays', async () => {
    const s = await vnetRelaySite();
    const a = await s.allocate();
    const got = collect(a.socket);
    const errors: Error[] = [];
    a.socket.onError((e) => errors.push(e));
    const samples = fc.sample(hostileDatagram, { numRuns: 2000, seed: 20261203 });
    const clientAddress = a.mapped!;
    for (const bytes of samples) s.serverSocket.send(bytes, clientAddress);
    await s.clock.advance(1000);
    expect(got).toEqual([]);
    // An unbound channel number delivers nothing even when well formed.
    s.serverSocket.send(encodeChannelData(0x4abc, Buffer.from('spoofed')), clientAddress);
    await s.clock.advance(100);
    expect(got).toEqual([]);
    a.socket.send(Buffer.from('after the flood'), s.peer.local);
    await s.clock.advance(500);
    expect(s.atPeer.map((m) => m.data)).toEqual(['after the flood']);
    expect(errors).toEqual([]);
    await s.clock.runUntil(a.socket.close());
  });
});
