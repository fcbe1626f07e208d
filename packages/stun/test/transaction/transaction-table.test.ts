import { describe, expect, it } from 'vitest';
import { planTransmissions, RFC8489_POLICY, TransactionTable, type TransactionAction } from '../../src/index.js';

const id = (n: number): Uint8Array => new Uint8Array(12).fill(n);
const server = { address: '203.0.113.1', port: 3478 };
const bytes = new Uint8Array([0, 1, 0, 0]);

/** Drives the table with a manual `now` and records every action. */
function drive(table: TransactionTable, until: number): { at: number; action: TransactionAction }[] {
  const log: { at: number; action: TransactionAction }[] = [];
  for (let i = 0; i < 1000; i++) {
    const at = table.nextDeadline();
    if (at === undefined || at > until) break;
    for (const action of table.poll(at)) log.push({ at, action });
  }
  return log;
}

describe('planTransmissions', () => {
  it('follows RFC 8489 §6.2.1: sends at 0, 500, 1500, ..., 31500 ms and gives up at 39500 ms', () => {
    expect(planTransmissions(RFC8489_POLICY)).toEqual({
      sends: [0, 500, 1500, 3500, 7500, 15500, 31500],
      giveUpAt: 39500,
    });
  });
  it('caps the doubled interval', () => {
    expect(planTransmissions({ rtoMs: 100, rc: 5, rm: 4, maxRtoMs: 200 }).sends).toEqual([0, 100, 300, 500, 700]);
  });
  it('keeps a constant interval without backoff', () => {
    expect(planTransmissions({ rtoMs: 40, rc: 4, rm: 2, backoff: false })).toEqual({ sends: [0, 40, 80, 120], giveUpAt: 200 });
  });
});

describe('TransactionTable', () => {
  it('retransmits on schedule and times out Rm x RTO after the last send', () => {
    const t = new TransactionTable();
    const started = t.start(id(1), bytes, server, 1000, { policy: { rtoMs: 100, rc: 3, rm: 2 } });
    expect(started.ok).toBe(true);
    const log = drive(t, 10_000);
    expect(log.map((l) => [l.at, l.action.type])).toEqual([
      [1100, 'send'],
      [1300, 'send'],
      [1500, 'timeout'],
    ]);
    expect(t.size).toBe(0);
  });

  it('matches a response by transaction id and source address', () => {
    const t = new TransactionTable();
    t.start(id(2), bytes, server, 0, { policy: RFC8489_POLICY });
    expect(t.match(id(3), server, 5).kind).toBe('unknown');
    const wrong = t.match(id(2), { address: '203.0.113.2', port: 3478 }, 6);
    expect(wrong.kind).toBe('wrong-source');
    const ok = t.match(id(2), server, 7);
    expect(ok).toMatchObject({ kind: 'matched', rttMs: 7, attempts: 1, firstRttSample: true });
    expect(t.match(id(2), server, 8).kind).toBe('unknown');
  });

  it('expects the answer to a CHANGE-REQUEST from the alternate address, and reports wrong sources on timeout', () => {
    const t = new TransactionTable();
    const alternate = { address: '203.0.113.2', port: 3479 };
    t.start(id(4), bytes, server, 0, { policy: { rtoMs: 10, rc: 1, rm: 1 }, expectFrom: alternate });
    expect(t.match(id(4), server, 1).kind).toBe('wrong-source');
    const log = drive(t, 100);
    expect(log).toHaveLength(1);
    expect(log[0]?.action).toMatchObject({ type: 'timeout', attempts: 1, wrongSource: [server] });
  });

  it("accepts any source with expectFrom 'any'", () => {
    const t = new TransactionTable();
    t.start(id(5), bytes, server, 0, { policy: RFC8489_POLICY, expectFrom: 'any' });
    expect(t.match(id(5), { address: '100.64.1.1', port: 9 }, 3).kind).toBe('matched');
  });

  it('measures RTT from the last send after a retransmission (Karn)', () => {
    const t = new TransactionTable();
    t.start(id(6), bytes, server, 0, { policy: { rtoMs: 100, rc: 3, rm: 2 } });
    t.poll(100);
    expect(t.match(id(6), server, 130)).toMatchObject({ kind: 'matched', rttMs: 30, attempts: 2, firstRttSample: false });
  });

  it('allows at most 10 outstanding transactions per server (RFC 8489 §6.2)', () => {
    const t = new TransactionTable();
    for (let i = 0; i < 10; i++) expect(t.start(id(10 + i), bytes, server, 0, { policy: RFC8489_POLICY }).ok).toBe(true);
    expect(t.start(id(30), bytes, server, 0, { policy: RFC8489_POLICY })).toEqual({ ok: false, reason: 'destination-busy' });
    expect(t.start(id(31), bytes, { address: '203.0.113.9', port: 3478 }, 0, { policy: RFC8489_POLICY }).ok).toBe(true);
    t.match(id(10), server, 1);
    expect(t.start(id(30), bytes, server, 0, { policy: RFC8489_POLICY }).ok).toBe(true);
  });

  it('refuses a duplicate transaction id and forgets a cancelled one', () => {
    const t = new TransactionTable();
    t.start(id(7), bytes, server, 0, { policy: RFC8489_POLICY });
    expect(t.start(id(7), bytes, server, 0, { policy: RFC8489_POLICY })).toEqual({ ok: false, reason: 'duplicate' });
    expect(t.cancel('nope')).toBe(false);
    expect(t.nextDeadline()).toBe(500);
  });
});
