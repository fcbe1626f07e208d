import { createTransactionId, decodeMessage, encodeMessage, type AttributeSpec, type StunMessage } from '@natkit/stun';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  additionalAddressFamily,
  addressErrorCode,
  channelNumber,
  data,
  decodeChannelData,
  dontFragment,
  encodeChannelData,
  evenPort,
  hasDontFragment,
  lifetime,
  passwordAlgorithm,
  passwordAlgorithms,
  PasswordAlgorithm,
  readAdditionalAddressFamily,
  readAddressErrorCode,
  readChannelNumber,
  readData,
  readEvenPort,
  readLifetime,
  readPasswordAlgorithm,
  readPasswordAlgorithms,
  readRequestedAddressFamily,
  readRequestedTransport,
  readReservationToken,
  readXorPeerAddresses,
  readXorRelayedAddresses,
  requestedAddressFamily,
  requestedTransport,
  reservationToken,
  TurnMethod,
  xorPeerAddress,
  xorRelayedAddress,
} from '../../src/proto/index.js';

function roundTrip(attributes: AttributeSpec[]): StunMessage {
  const bytes = encodeMessage({ method: TurnMethod.Allocate, class: 'request', transactionId: createTransactionId(), attributes });
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('TURN attributes', () => {
  it('round-trip every attribute', () => {
    const m = roundTrip([
      xorPeerAddress({ address: '192.0.2.1', port: 4000 }),
      xorPeerAddress({ address: '2001:db8::7', port: 65535 }),
      xorRelayedAddress({ address: '198.51.100.2', port: 50000 }),
      channelNumber(0x4001),
      lifetime(3600),
      data(Uint8Array.of(1, 2, 3)),
      requestedTransport(17),
      requestedAddressFamily(6),
      additionalAddressFamily(6),
      evenPort(true),
      reservationToken(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
      dontFragment(),
      addressErrorCode(6, 440, 'Address Family not Supported'),
      passwordAlgorithms([{ algorithm: PasswordAlgorithm.Sha256, parameters: new Uint8Array(0) }, { algorithm: PasswordAlgorithm.Md5, parameters: new Uint8Array(0) }]),
      passwordAlgorithm({ algorithm: PasswordAlgorithm.Sha256, parameters: new Uint8Array(0) }),
    ]);
    expect(readXorPeerAddresses(m)).toEqual([
      { address: '192.0.2.1', port: 4000 },
      { address: '2001:db8::7', port: 65535 },
    ]);
    expect(readXorRelayedAddresses(m)).toEqual([{ address: '198.51.100.2', port: 50000 }]);
    expect(readChannelNumber(m)).toBe(0x4001);
    expect(readLifetime(m)).toBe(3600);
    expect(Array.from(readData(m) ?? [])).toEqual([1, 2, 3]);
    expect(readRequestedTransport(m)).toBe(17);
    expect(readRequestedAddressFamily(m)).toBe(6);
    expect(readAdditionalAddressFamily(m)).toBe(6);
    expect(readEvenPort(m)).toEqual({ reserveNext: true });
    expect(Array.from(readReservationToken(m) as Uint8Array)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(hasDontFragment(m)).toBe(true);
    expect(readAddressErrorCode(m)).toEqual({ family: 6, code: 440, reason: 'Address Family not Supported' });
    expect((readPasswordAlgorithms(m) as { algorithm: number }[]).map((e) => e.algorithm)).toEqual([2, 1]);
    expect((readPasswordAlgorithm(m) as { algorithm: number }).algorithm).toBe(2);
  });

  it('absent attributes read as undefined, malformed ones as malformed', () => {
    const empty = roundTrip([]);
    expect(readLifetime(empty)).toBeUndefined();
    expect(readChannelNumber(empty)).toBeUndefined();
    expect(readXorPeerAddresses(empty)).toEqual([]);
    const bad = roundTrip([
      { type: 0x000c, value: Uint8Array.of(0x40) },
      { type: 0x000d, value: Uint8Array.of(1, 2) },
      { type: 0x0012, value: Uint8Array.of(0, 9, 0, 0) },
      { type: 0x0019, value: Uint8Array.of(17) },
      { type: 0x0022, value: Uint8Array.of(1, 2, 3) },
      { type: 0x0017, value: Uint8Array.of(3, 0, 0, 0) },
      { type: 0x8002, value: Uint8Array.of(0, 2, 0, 9) },
    ]);
    expect(readChannelNumber(bad)).toBe('malformed');
    expect(readLifetime(bad)).toBe('malformed');
    expect(readXorPeerAddresses(bad)).toBe('malformed');
    expect(readRequestedTransport(bad)).toBe('malformed');
    expect(readReservationToken(bad)).toBe('malformed');
    expect(readRequestedAddressFamily(bad)).toBe('unknown');
    expect(readPasswordAlgorithms(bad)).toBe('malformed');
  });
});

describe('legacy code points', () => {
  it('reads ADDITIONAL-ADDRESS-FAMILY at its draft code point 0x8032 (coturn 4.6 uclient -Z)', () => {
    const m = roundTrip([{ type: 0x8032, value: Uint8Array.of(2, 0, 0, 0) }]);
    expect(readAdditionalAddressFamily(m)).toBe(6);
  });
});

describe('ChannelData', () => {
  it('pads to 4 on request (stream), not by default (UDP), with zero padding bytes', () => {
    const payload = Uint8Array.of(9, 9, 9, 9, 9);
    const udp = encodeChannelData(0x4000, payload);
    const tcp = encodeChannelData(0x4000, payload, { pad: true });
    expect(udp.length).toBe(9);
    expect(tcp.length).toBe(12);
    expect(Array.from(tcp.subarray(9))).toEqual([0, 0, 0]);
    expect(Array.from(udp.subarray(0, 4))).toEqual([0x40, 0x00, 0x00, 0x05]);
  });

  it('over UDP accepts padded and unpadded datagrams; on a stream requires the padding', () => {
    const payload = Uint8Array.of(1, 2, 3, 4, 5);
    const padded = encodeChannelData(0x4abc, payload, { pad: true });
    const bare = encodeChannelData(0x4abc, payload);
    for (const bytes of [padded, bare]) {
      const r = decodeChannelData(bytes);
      expect(r.ok && r.value.channel === 0x4abc && Array.from(r.value.data)).toEqual([1, 2, 3, 4, 5]);
    }
    const s = decodeChannelData(padded, true);
    expect(s.ok && s.value.size).toBe(12);
    expect(decodeChannelData(bare, true).ok).toBe(false);
  });

  it('refuses a length beyond the datagram, short headers and STUN first bits', () => {
    expect(decodeChannelData(Uint8Array.of(0x40, 0, 0, 10, 1, 2)).ok).toBe(false);
    expect(decodeChannelData(Uint8Array.of(0x40, 0)).ok).toBe(false);
    expect(decodeChannelData(Uint8Array.of(0x00, 1, 0, 0)).ok).toBe(false);
    expect(() => encodeChannelData(0x3fff, new Uint8Array(1))).toThrow(RangeError);
  });

  it('decode(encode(x)) = x for any channel and payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0x4000, max: 0x4fff }), fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (ch, payload, pad) => {
        const r = decodeChannelData(encodeChannelData(ch, payload, { pad }), pad);
        expect(r.ok && r.value.channel).toBe(ch);
        expect(r.ok && Buffer.from(r.value.data).equals(Buffer.from(payload))).toBe(true);
      }),
    );
  });
});
