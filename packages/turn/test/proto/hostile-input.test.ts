import { decodeMessage } from '@natkit/stun';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as proto from '../../src/proto/index.js';

const readers = [
  proto.readXorPeerAddresses,
  proto.readXorRelayedAddresses,
  proto.readChannelNumber,
  proto.readLifetime,
  proto.readData,
  proto.readRequestedTransport,
  proto.readRequestedAddressFamily,
  proto.readAdditionalAddressFamily,
  proto.readAddressErrorCode,
  proto.readEvenPort,
  proto.readReservationToken,
  proto.hasDontFragment,
  proto.readPasswordAlgorithms,
  proto.readPasswordAlgorithm,
  proto.readUserhash,
];

/** A STUN header with a TURN method around random attribute bytes, lengths kept consistent. */
const turnish = fc.tuple(fc.constantFrom(0x003, 0x004, 0x006, 0x008, 0x009, 0x016), fc.uint8Array({ maxLength: 200 })).map(([type, body]) => {
  const n = body.length & ~3;
  const out = new Uint8Array(20 + n);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  out[2] = n >> 8;
  out[3] = n & 0xff;
  out.set([0x21, 0x12, 0xa4, 0x42], 4);
  out.set(body.subarray(0, n), 20);
  return out;
});

describe('TURN decoders on hostile input', () => {
  it('never throw on random attribute bytes (seeded)', () => {
    fc.assert(
      fc.property(turnish, (bytes) => {
        const r = decodeMessage(bytes);
        if (!r.ok) return;
        for (const read of readers) expect(() => read(r.value)).not.toThrow();
      }),
      { seed: 6, numRuns: 5000 },
    );
  });

  it('ChannelData decode never throws and never reads past the input (seeded)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, stream) => {
        const r = proto.decodeChannelData(bytes, stream);
        if (r.ok) expect(r.value.size).toBeLessThanOrEqual(bytes.length);
      }),
      { seed: 6, numRuns: 5000 },
    );
  });
});
