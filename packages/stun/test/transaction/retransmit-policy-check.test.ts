import { createNodeNetwork, systemClock } from '@natkit/net';
import { describe, expect, it } from 'vitest';
import { createStunServer, planTransmissions, StunClient, TransactionTable, type RetransmitPolicy } from '../../src/index.js';

describe('retransmit policies are checked', () => {
  it.each<[string, RetransmitPolicy]>([
    ['rtoMs NaN', { rtoMs: Number.NaN, rc: 3, rm: 2 }],
    ['rtoMs -5', { rtoMs: -5, rc: 3, rm: 2 }],
    ['rtoMs Infinity', { rtoMs: Number.POSITIVE_INFINITY, rc: 3, rm: 2 }],
    ['rc 0', { rtoMs: 100, rc: 0, rm: 2 }],
    ['rc 2.5', { rtoMs: 100, rc: 2.5, rm: 2 }],
    ['rm NaN', { rtoMs: 100, rc: 3, rm: Number.NaN }],
    ['maxRtoMs 0', { rtoMs: 100, rc: 3, rm: 2, maxRtoMs: 0 }],
  ])('planTransmissions refuses %s with ERR_BAD_OPTION', (_what, policy) => {
    expect(() => planTransmissions(policy)).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
  });

  it('plans finite, increasing deadlines for a good policy', () => {
    const plan = planTransmissions({ rtoMs: 100, rc: 3, rm: 2, maxRtoMs: 150 });
    expect(plan).toEqual({ sends: [0, 100, 250], giveUpAt: 450 });
  });

  it('a client rejects a bad policy or a host name at once instead of timing out', async () => {
    const network = createNodeNetwork();
    await using socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    expect(() => new StunClient({ policy: { rtoMs: Number.NaN, rc: 1, rm: 1 } }, { socket, clock: systemClock })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_OPTION' }),
    );
    const client = new StunClient({}, { socket, clock: systemClock });
    try {
      await expect(client.request({ address: '127.0.0.1', port: 9 }, { policy: { rtoMs: -5, rc: 1, rm: 1 } })).rejects.toMatchObject({ code: 'ERR_BAD_OPTION' });
      await expect(client.request({ address: 'localhost', port: 9 })).rejects.toMatchObject({ code: 'ERR_BAD_ADDRESS' });
    } finally {
      client.close();
    }
  });

  it('the STUN server refuses a NaN maxPadding and an unknown otherAddressOnAlternate', () => {
    const primary = { address: '127.0.0.1', port: 0 };
    expect(() => createStunServer({ primary, maxPadding: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    expect(() => createStunServer({ primary, otherAddressOnAlternate: 'pion' as 'coturn' })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    expect(() => createStunServer({ primary: { address: '127.0.0.1', port: 99999 } })).toThrow(expect.objectContaining({ code: 'ERR_BAD_PORT' }));
  });
});

describe('transaction table bounds are checked', () => {
  it('refuses a NaN or zero bound instead of lifting it', async () => {
    expect(() => new TransactionTable({ maxPerDestination: Number.NaN })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    expect(() => new TransactionTable({ maxTotal: 0 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
    await using socket = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1' });
    expect(() => new StunClient({ maxPerDestination: 2.5 }, { socket, clock: systemClock })).toThrow(expect.objectContaining({ code: 'ERR_BAD_OPTION' }));
  });
});
