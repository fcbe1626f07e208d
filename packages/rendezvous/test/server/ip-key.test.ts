import { describe, expect, it } from 'vitest';
import { ipLimitKey } from '../../src/server/ip-key.js';

describe('ipLimitKey', () => {
  const table: [string, string][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ];
  for (const [address, key] of table) {
    it(`${address} counts as ${key}`, () => expect(ipLimitKey(address)).toBe(key));
  }
});
