import { describe, expect, it } from 'vitest';
import { planSockets } from '../../src/server/socket-plan.js';
import { StunServerError } from '../../src/index.js';

describe('planSockets', () => {
  it('one socket without an alternate', () => {
    const p = planSockets({ address: '192.0.2.1', port: 3478 });
    expect(p.mode).toBe('single');
    expect(p.sockets).toEqual([{ ip: 0, port: 0, address: '192.0.2.1', requestedPort: 3478 }]);
  });
  it('two sockets with only an alternate port (default primary + 1)', () => {
    const p = planSockets({ address: '192.0.2.1', port: 3478 }, {});
    expect(p.mode).toBe('single');
    const q = planSockets({ address: '192.0.2.1', port: 3478 }, { port: 3479 });
    expect(q.mode).toBe('port-only');
    expect(q.sockets.map((s) => `${s.address}:${s.requestedPort}`)).toEqual(['192.0.2.1:3478', '192.0.2.1:3479']);
  });
  it('four sockets with an alternate IP, in role order, reusing the primary ports', () => {
    const p = planSockets({ address: '192.0.2.1', port: 3478 }, { address: '192.0.2.2' });
    expect(p.mode).toBe('full');
    expect(p.sockets.map((s) => [s.ip, s.port, s.address, s.requestedPort, s.samePortAs])).toEqual([
      [0, 0, '192.0.2.1', 3478, undefined],
      [0, 1, '192.0.2.1', 3479, undefined],
      [1, 0, '192.0.2.2', 3478, 0],
      [1, 1, '192.0.2.2', 3479, 1],
    ]);
  });
  it('ephemeral ports stay ephemeral', () => {
    const p = planSockets({ address: '127.0.0.1', port: 0 }, { address: '127.0.0.2' });
    expect(p.sockets.map((s) => s.requestedPort)).toEqual([0, 0, 0, 0]);
  });
  it.each([
    ['a wildcard primary with an alternate', { address: '0.0.0.0', port: 3478 }, { address: '192.0.2.2' }],
    ['mixed families', { address: '192.0.2.1', port: 3478 }, { address: '2001:db8::2' }],
    ['the same address twice', { address: '192.0.2.1', port: 3478 }, { address: '192.0.2.1' }],
    ['the same port twice', { address: '192.0.2.1', port: 3478 }, { port: 3478 }],
    ['a host name', { address: 'stun.example.org', port: 3478 }, undefined],
  ])('refuses %s with ERR_STUN_SERVER_CONFIG', (_what, primary, alternate) => {
    expect(() => planSockets(primary, alternate)).toThrow(StunServerError);
    try {
      planSockets(primary, alternate);
    } catch (e) {
      expect((e as StunServerError).code).toBe('ERR_STUN_SERVER_CONFIG');
    }
  });
  it.each([
    ['a primary port over 65535', { address: '192.0.2.1', port: 70000 }, undefined],
    ['a negative primary port', { address: '192.0.2.1', port: -1 }, undefined],
    ['a fractional primary port', { address: '192.0.2.1', port: 1.5 }, undefined],
    ['a NaN alternate port', { address: '192.0.2.1', port: 3478 }, { port: Number.NaN }],
  ])('refuses %s with ERR_BAD_PORT', (_what, primary, alternate) => {
    expect(() => planSockets(primary, alternate)).toThrow(expect.objectContaining({ name: 'StunServerError', code: 'ERR_BAD_PORT' }));
  });
});
