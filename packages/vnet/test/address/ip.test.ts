import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalAddress, parseCidr } from '../../src/index.js';
import { cidrAddress, cidrContains, formatIPv6, parseIPv6 } from '../../src/address/ip.js';

describe('IP addresses', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['fe80:0:0:1::', 'fe80:0:0:1::'],
    ['203.0.113.1', '203.0.113.1'],
  ])('canonicalises %s as %s (RFC 5952)', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });

  it('rejects non-literals', () => {
    expect(canonicalAddress('example.com')).toBeUndefined();
    expect(canonicalAddress('1.2.3')).toBeUndefined();
  });

  it('parse(format(x)) is x for every 128-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => parseIPv6(formatIPv6(v)) === v),
    );
  });

  it('CIDR arithmetic', () => {
    const c = parseCidr('100.64.1.77/24');
    expect(c.text).toBe('100.64.1.0/24');
    expect(cidrAddress(c, 2n)).toBe('100.64.1.2');
    expect(cidrAddress(c, 256n)).toBeUndefined();
    expect(cidrContains(c, '100.64.1.200')).toBe(true);
    expect(cidrContains(c, '100.64.2.1')).toBe(false);
    expect(cidrContains(parseCidr('2001:db8::/32'), '2001:db8:ffff::1')).toBe(true);
  });
});
