import { describe, expect, it } from 'vitest';
import { CloseCode, HARD_MAX_PAYLOAD_BYTES, MAX_MESSAGE_BYTES } from '../../src/index.js';
import { connectClient, newIdentity, RawClient, startServer } from '../fixtures.js';

describe('hostile messages: refused with the right code, and the server keeps serving', () => {
  const cases: [string, string | Buffer, string][] = [
    ['not JSON', 'hello?', 'malformed'],
    ['an extra field', JSON.stringify({ type: 'ping', nonce: 'n1', sudo: true }), 'malformed'],
    ['a wrong field type', JSON.stringify({ type: 'connect', requestId: 7, to: 'x' }), 'malformed'],
    ['an unknown type', JSON.stringify({ type: 'subscribe-all' }), 'unknown-type'],
    ['over the message limit', JSON.stringify({ type: 'ping', nonce: 'x'.repeat(MAX_MESSAGE_BYTES) }), 'too-big'],
  ];
  for (const [name, data, code] of cases) {
    it(name, async () => {
      const server = await startServer();
      const raw = await RawClient.open(server.url);
      await raw.register(newIdentity());
      raw.sendText(data);
      const error = await raw.next('error');
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
      // Same connection still served.
      raw.send({ type: 'ping', nonce: 'after' });
      expect(await raw.next('pong')).toEqual({ type: 'pong', nonce: 'after' });
      expect(server.stats().refused[code]).toBe(1);
    });
  }

  it('a binary frame is malformed', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url);
    raw.ws.send(Buffer.from(JSON.stringify({ type: 'ping', nonce: 'b' })), { binary: true });
    expect(await raw.next('error')).toMatchObject({ code: 'malformed', message: expect.stringMatching(/binary/) });
  });

  it('a frame over the hard payload limit closes that connection (1009); others carry on', async () => {
    const server = await startServer();
    const bystander = await connectClient(server.url);
    const raw = await RawClient.open(server.url);
    raw.sendText('x'.repeat(HARD_MAX_PAYLOAD_BYTES + 1));
    expect(await raw.closed).toBe(CloseCode.MessageTooBig);
    const fresh = await connectClient(server.url);
    await expect(fresh.connect(bystander.peerId)).resolves.toMatchObject({ peer: { peerId: bystander.peerId } });
  });

  it('requests before registration are not-registered', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url);
    await raw.next('hello');
    raw.send({ type: 'connect', requestId: 'early', to: newIdentity().peerId });
    expect(await raw.next('error')).toMatchObject({ code: 'not-registered', requestId: 'early' });
    raw.send({ type: 'update', nat: { ipv4: null, ipv6: null }, candidates: [] });
    expect(await raw.next('error')).toMatchObject({ code: 'not-registered' });
  });
});
