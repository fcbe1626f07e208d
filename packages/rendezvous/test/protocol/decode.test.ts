import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientMessage, decodeServerMessage, encodeIntroduce, encodeMessage, encodePeerInfo, MAX_MESSAGE_BYTES, type ClientMessage, type ServerMessage } from '../../src/index.js';
import { candidatesOf, newIdentity, portRestricted } from '../fixtures.js';

const peerId = newIdentity().peerId;
const challenge = Buffer.alloc(32, 7).toString('base64url');
const register: ClientMessage = { type: 'register', peerId, challenge, signature: Buffer.alloc(64, 1).toString('base64url'), nat: portRestricted, candidates: candidatesOf(1) };

describe('client messages: every valid message survives encode/decode', () => {
  const messages: ClientMessage[] = [
    register,
    { type: 'update', nat: { ipv4: null, ipv6: portRestricted.ipv4 }, candidates: [] },
    { type: 'connect', requestId: 'r.1', to: peerId },
    { type: 'ping', nonce: 'abc' },
    { type: 'pong', nonce: 'abc' },
  ];
  for (const message of messages) {
    it(message.type, () => {
      expect(decodeClientMessage(encodeMessage(message))).toEqual({ ok: true, value: message });
      expect(decodeClientMessage(Buffer.from(encodeMessage(message)))).toEqual({ ok: true, value: message });
    });
  }
});

describe('server messages: every valid message survives encode/decode', () => {
  const info = { peerId, observed: { address: '2001:db8::1', port: 3478 }, nat: portRestricted, candidates: candidatesOf(2) };
  const messages: ServerMessage[] = [
    { type: 'hello', version: 1, challenge, registerWithinMs: 10_000, heartbeatMs: 15_000, maxMessageBytes: MAX_MESSAGE_BYTES },
    { type: 'registered', peerId, observed: { address: '127.0.0.1', port: 5 }, relay: { username: '1700000000:nk1', password: 'pw', ttl: 600, urls: ['turn:127.0.0.1:3478'] }, presenceTtlMs: 45_000 },
    { type: 'registered', peerId, observed: { address: '127.0.0.1', port: 5 }, relay: null, presenceTtlMs: 45_000 },
    { type: 'introduce', requestId: 'x', connectionId: challenge, role: 'responder', peer: info, fireInMs: 12, rttMs: 3, peerRttMs: 27 },
    { type: 'error', code: 'rate-limited', message: 'slow down', requestId: 'x', retryAfterMs: 100 },
    { type: 'error', code: 'unsupported-version', message: 'v1 only', supported: [1] },
  ];
  for (const message of messages) {
    it(`${message.type} ${'code' in message ? message.code : ''}`, () => {
      expect(decodeServerMessage(encodeMessage(message))).toEqual({ ok: true, value: message });
    });
  }
});

describe('client messages: refusals and their codes', () => {
  const json = (value: unknown): string => JSON.stringify(value);
  const cases: [string, string | Buffer, string, RegExp?][] = [
    ['not JSON', '{"type":', 'malformed', /JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed', /UTF-8/],
    ['a JSON array', '[1,2]', 'malformed', /object/],
    ['null', 'null', 'malformed'],
    ['no type', json({ nonce: 'a' }), 'malformed', /type/],
    ['a number type', json({ type: 7 }), 'malformed'],
    ['an unknown type', json({ type: 'teleport' }), 'unknown-type', /teleport/],
    ['a server-only type', json({ type: 'hello' }), 'unknown-type'],
    ['an extra field', json({ type: 'ping', nonce: 'a', admin: true }), 'malformed', /admin/],
    ['an extra field deep inside', json({ ...register, nat: { ...portRestricted, ipv4: { ...portRestricted.ipv4, extra: 1 } } }), 'malformed', /nat\.ipv4/],
    ['a missing field', json({ type: 'connect', requestId: 'a' }), 'malformed', /to/],
    ['a bad peer id', json({ type: 'connect', requestId: 'a', to: 'alice' }), 'malformed', /peer id/],
    ['a host name as candidate', json({ ...register, candidates: [{ type: 'host', address: 'example.com', port: 1 }] }), 'malformed', /candidates\.0\.address/],
    ['port 0 candidate', json({ ...register, candidates: [{ type: 'host', address: '10.0.0.1', port: 0 }] }), 'malformed', /port/],
    ['port 65536', json({ ...register, candidates: [{ type: 'srflx', address: '10.0.0.1', port: 65_536 }] }), 'malformed'],
    ['an unknown candidate type', json({ ...register, candidates: [{ type: 'prflx', address: '10.0.0.1', port: 1 }] }), 'malformed'],
    ['33 candidates', json({ ...register, candidates: Array.from({ length: 33 }, () => candidatesOf(1)[0]) }), 'malformed', /candidates/],
    ['a short challenge', json({ ...register, challenge: 'abc' }), 'malformed', /challenge/],
    ['a fractional step', json({ ...register, nat: { ipv4: { ...portRestricted.ipv4, allocation: { pattern: 'sequential', step: 1.5 } }, ipv6: null } }), 'malformed'],
    ['a 65-character request id', json({ type: 'connect', requestId: 'a'.repeat(65), to: peerId }), 'malformed', /requestId/],
    ['one byte over the limit', json({ type: 'ping', nonce: 'a', pad: 'x'.repeat(MAX_MESSAGE_BYTES) }).slice(0, MAX_MESSAGE_BYTES + 1), 'too-big', /16384/],
  ];
  for (const [name, data, code, reason] of cases) {
    it(name, () => {
      const result = decodeClientMessage(data);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe(code);
      if (reason !== undefined) expect(result.reason).toMatch(reason);
    });
  }

  it('binary frames', () => {
    const result = decodeClientMessage(Buffer.from(JSON.stringify({ type: 'ping', nonce: 'a' })), true);
    expect(result).toMatchObject({ ok: false, code: 'malformed', reason: expect.stringMatching(/binary/) });
  });
});

describe('decoding hostile input never throws', () => {
  it('random strings and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 })), fc.boolean(), (data, binary) => {
        const a = decodeClientMessage(data, binary);
        const b = decodeServerMessage(data, binary);
        expect(typeof a.ok).toBe('boolean');
        expect(typeof b.ok).toBe('boolean');
      }),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it('random JSON values with a known type', () => {
    const types = fc.constantFrom('register', 'update', 'connect', 'ping', 'pong', 'hello', 'registered', 'introduce', 'error');
    fc.assert(
      fc.property(types, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }), (type, fields) => {
        const text = JSON.stringify({ ...fields, type });
        for (const result of [decodeClientMessage(text), decodeServerMessage(text)]) {
          if (!result.ok) expect(['malformed', 'unknown-type', 'too-big']).toContain(result.code);
        }
      }),
      { numRuns: 2_000, seed: 11 },
    );
  });

  it('deep nesting inside the size limit', () => {
    const deep = `{"type":"ping","nonce":${'['.repeat(8_000)}${']'.repeat(8_000)}}`;
    expect(decodeClientMessage(deep)).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('encodeIntroduce (a pre-encoded peer inside an introduce)', () => {
  it('gives the message encodeMessage gives', () => {
    const requestIds = fc.stringMatching(/^[A-Za-z0-9._~-]{1,64}$/);
    fc.assert(
      fc.property(requestIds, fc.constantFrom('initiator' as const, 'responder' as const), fc.nat(86_400_000), fc.nat(10_000), fc.nat(10_000), (requestId, role, fireInMs, rttMs, peerRttMs) => {
        const peer = { peerId, observed: { address: '203.0.113.9', port: 4000 }, nat: portRestricted, candidates: candidatesOf(3) };
        const message = { type: 'introduce' as const, requestId, connectionId: challenge, role, peer, fireInMs, rttMs, peerRttMs };
        const text = encodeIntroduce({ requestId, connectionId: challenge, role, fireInMs, rttMs, peerRttMs }, encodePeerInfo(peer));
        expect(decodeServerMessage(text)).toEqual({ ok: true, value: message });
        expect(JSON.parse(text)).toEqual(JSON.parse(encodeMessage(message)));
      }),
      { numRuns: 300, seed: 3 },
    );
  });
});
