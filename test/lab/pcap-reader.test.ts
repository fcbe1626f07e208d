/**
 * The lab's pcap reader (harness/pcap-reader.ts): reads the classic format tcpdump writes, and
 * treats a file as hostile input (never throws, never reads past the buffer). Pure: no root needed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPcap } from './harness/pcap-reader.js';

function header(little = true): Buffer {
  const b = Buffer.alloc(24);
  if (little) {
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt32LE(262144, 16);
    b.writeUInt32LE(1, 20);
  } else {
    b.writeUInt32BE(0xa1b2c3d4, 0);
    b.writeUInt32BE(262144, 16);
    b.writeUInt32BE(1, 20);
  }
  return b;
}

function record(frame: Buffer, little = true): Buffer {
  const r = Buffer.alloc(16);
  if (little) {
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
  } else {
    r.writeUInt32BE(frame.length, 8);
    r.writeUInt32BE(frame.length, 12);
  }
  return Buffer.concat([r, frame]);
}

/** Ethernet + IPv4 (no options) + UDP or TCP (20-byte header). */
function frame(protocol: 'udp' | 'tcp', payload: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const l4 = Buffer.alloc(protocol === 'udp' ? 8 : 20);
  l4.writeUInt16BE(40000, 0);
  l4.writeUInt16BE(3478, 2);
  if (protocol === 'tcp') l4[12] = 5 << 4;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + l4.length + payload.length, 2);
  ip[9] = protocol === 'udp' ? 17 : 6;
  Buffer.from([203, 0, 113, 10]).copy(ip, 12);
  Buffer.from([203, 0, 113, 1]).copy(ip, 16);
  return Buffer.concat([eth, ip, l4, payload]);
}

describe('readPcap', () => {
  it('reads UDP and TCP packets of either byte order with addresses, ports and payload', () => {
    for (const little of [true, false]) {
      const file = Buffer.concat([header(little), record(frame('udp', Buffer.from('hello')), little), record(frame('tcp', Buffer.from('world')), little)]);
      const r = readPcap(file);
      expect(r.ok && r.value.map((p) => [p.protocol, p.src, p.dst, p.srcPort, p.dstPort, p.payload.toString()])).toEqual([
        ['udp', '203.0.113.10', '203.0.113.1', 40000, 3478, 'hello'],
        ['tcp', '203.0.113.10', '203.0.113.1', 40000, 3478, 'world'],
      ]);
    }
  });

  it('refuses what is not an Ethernet pcap, and stops at a truncated record', () => {
    expect(readPcap(Buffer.alloc(10))).toMatchObject({ ok: false });
    expect(readPcap(Buffer.alloc(24))).toMatchObject({ ok: false, reason: expect.stringMatching(/magic/) });
    const linux = header();
    linux.writeUInt32LE(113, 20);
    expect(readPcap(linux)).toMatchObject({ ok: false, reason: expect.stringMatching(/link type 113/) });
    const whole = Buffer.concat([header(), record(frame('udp', Buffer.from('a'))), record(frame('udp', Buffer.from('b')))]);
    const cut = readPcap(whole.subarray(0, whole.length - 3));
    expect(cut.ok && cut.value.map((p) => p.payload.toString())).toEqual(['a']);
  });

  it('never throws on hostile records (random bytes after a valid header)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 120 }), (junk, body) => {
        const r = readPcap(Buffer.concat([header(), Buffer.from(junk)]));
        expect(r.ok).toBe(true);
        const odd = frame('udp', Buffer.from(body));
        const r2 = readPcap(Buffer.concat([header(), record(Buffer.from(odd.subarray(0, body.length % odd.length)))]));
        expect(r2.ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
