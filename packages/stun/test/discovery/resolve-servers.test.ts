import { describe, expect, it } from 'vitest';
import { MAX_SERVERS, resolveServers } from '../../src/index.js';

const resolver = (table: Record<string, string[]>) => (host: string) => {
  const found = table[host];
  if (found === undefined) return Promise.reject(new Error(`getaddrinfo ENOTFOUND ${host}`));
  return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
};

describe('resolveServers', () => {
  it('resolves names to every address, canonical and without duplicates', async () => {
    const got = await resolveServers(['stun.example:3479', '203.0.113.1', '[2001:DB8:0::1]:3478', '203.0.113.1:3478'], resolver({ 'stun.example': ['203.0.113.7', '2001:db8::7'] }));
    expect(got).toEqual([
      { address: '203.0.113.7', port: 3479 },
      { address: '2001:db8::7', port: 3479 },
      { address: '203.0.113.1', port: 3478 },
      { address: '2001:db8::1', port: 3478 },
    ]);
  });

  it('turns a name that does not resolve into a warning while another server is left', async () => {
    const warnings: string[] = [];
    const got = await resolveServers(['gone.example', 'stun.example'], resolver({ 'stun.example': ['203.0.113.7'] }), warnings);
    expect(got).toEqual([{ address: '203.0.113.7', port: 3478 }]);
    expect(warnings).toEqual(['cannot resolve gone.example: no such name (getaddrinfo ENOTFOUND gone.example)']);
  });

  it('fails with ERR_RESOLVE when nothing resolves, ERR_BAD_PORT on a bad port, ERR_BAD_SERVER on too many', async () => {
    await expect(resolveServers(['gone.example'], resolver({}))).rejects.toMatchObject({ code: 'ERR_RESOLVE' });
    await expect(resolveServers(['203.0.113.1:99999'], resolver({}))).rejects.toMatchObject({ code: 'ERR_BAD_PORT' });
    const many = Array.from({ length: MAX_SERVERS + 1 }, (_, i) => `203.0.113.${i + 1}`);
    await expect(resolveServers(many, resolver({}))).rejects.toMatchObject({ code: 'ERR_BAD_SERVER' });
  });

  it("says in plain words why a name did not resolve, from getaddrinfo's code", async () => {
    const offline = (host: string) => Promise.reject(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${host}`), { code: 'EAI_AGAIN' }));
    await expect(resolveServers(['stun.example.invalid'], offline)).rejects.toThrow(
      'cannot resolve stun.example.invalid: no answer from DNS (offline, or DNS blocked?) (getaddrinfo EAI_AGAIN stun.example.invalid)',
    );
    const odd = () => Promise.reject(new Error('resolver exploded'));
    await expect(resolveServers(['stun.example.invalid'], odd)).rejects.toThrow('cannot resolve stun.example.invalid: resolver exploded');
  });
});
