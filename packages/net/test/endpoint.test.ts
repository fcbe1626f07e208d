import { describe, expect, it } from 'vitest';
import { formatEndpoint, isSameEndpoint, normalizeAddress, parseHostPort, sendTargetError } from '../src/index.js';

describe('parseHostPort', () => {
  it.each([
    ['203.0.113.1', { host: '203.0.113.1', port: 3478 }],
    ['203.0.113.1:19302', { host: '203.0.113.1', port: 19302 }],
    ['stun.example.org:5349', { host: 'stun.example.org', port: 5349 }],
    ['2001:db8::1', { host: '2001:db8::1', port: 3478 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 3478 }],
    ['[2001:db8::1]:3479', { host: '2001:db8::1', port: 3479 }],
  ])('parses %s', (input, expected) => {
    expect(parseHostPort(input, 3478)).toEqual({ ok: true, ...expected });
  });

  it.each(['', '[2001:db8::1', '[1.2.3.4]:3', 'host:0', 'host:70000', 'host:x1', '[::1]x', ':3478'])(
    'rejects %j with a reason',
    (input) => {
      const r = parseHostPort(input, 3478);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    },
  );
});

describe('endpoints', () => {
  it('formats IPv6 with brackets', () => {
    expect(formatEndpoint({ address: '2001:db8::1', port: 5 })).toBe('[2001:db8::1]:5');
    expect(formatEndpoint({ address: '203.0.113.1', port: 5 })).toBe('203.0.113.1:5');
  });
  it('compares IPv6 addresses in canonical form (RFC 5952)', () => {
    expect(normalizeAddress('2001:0DB8:0:0::1')).toBe('2001:db8::1');
    expect(isSameEndpoint({ address: '2001:0db8:0000::0001', port: 1 }, { address: '2001:db8::1', port: 1 })).toBe(true);
    expect(normalizeAddress('stun.example.org')).toBe('stun.example.org');
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(normalizeAddress('::FFFF:203.0.113.9')).toBe('203.0.113.9');
    expect(isSameEndpoint({ address: '::ffff:203.0.113.9', port: 1 }, { address: '203.0.113.9', port: 1 })).toBe(true);
    expect(isSameEndpoint({ address: '203.0.113.9', port: 1 }, { address: '203.0.113.9', port: 2 })).toBe(false);
  });
});

describe('sendTargetError', () => {
  it('refuses IPv4-mapped IPv6 destinations in any spelling, and only those', () => {
    for (const a of ['::ffff:127.0.0.1', '::FFFF:7f00:1', '0:0:0:0:0:ffff:7f00:1']) expect(sendTargetError({ address: a, port: 9 }, 6)?.code, a).toBe('ERR_BAD_ADDRESS');
    for (const a of ['::ffff:1', 'ffff::1', '2001:db8::ffff:1:2', '::1']) expect(sendTargetError({ address: a, port: 9 }, 6), a).toBeUndefined();
  });
});
