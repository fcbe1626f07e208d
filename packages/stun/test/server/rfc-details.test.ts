import { createNodeNetwork, type UdpSocket } from '@natkit/net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeType,
  changeRequest,
  encodeMessage,
  getAttribute,
  readChangedAddress,
  readErrorCode,
  readMappedAddress,
  readResponseOrigin,
  readSourceAddress,
  responsePort,
  startStunServer,
  StunMethod,
  type AttributeSpec,
  type StunServer,
} from '../../src/index.js';
import { withTrailer } from '../proto/integrity-trailer.js';
import { exchange, waitFor } from './loopback.js';

const network = createNodeNetwork();
let counter = 0;

/** An RFC 3489 request (no magic cookie): a 16-byte transaction id. */
function classicRequest(attributes: readonly AttributeSpec[] = []): [Uint8Array, Uint8Array] {
  const id = Uint8Array.from({ length: 16 }, (_, i) => (0x30 + i + ++counter) & 0xff);
  return [encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes }), id];
}

/** The raw attribute lengths of a message, in order. */
function lengths(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 20; at + 4 <= bytes.length; ) {
    const type = (bytes[at]! << 8) | bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    out.push([type, length]);
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return out;
}

describe('RFC 3489 answers (classic clients read lengths unpadded)', () => {
  let server: StunServer;
  let client: UdpSocket;
  beforeAll(async () => {
    server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, software: 'natkit' }, { network });
    client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([client.close(), server.close()]);
  });

  it('a 420 has a reason padded with spaces, an even UNKNOWN-ATTRIBUTES list and no SOFTWARE', async () => {
    const [bytes, id] = classicRequest([{ type: 0x7f01, value: new Uint8Array(4) }]);
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(r.message.class).toBe('error');
    expect(readErrorCode(r.message)).toEqual({ code: 420, reason: 'Unknown Attribute   ' });
    expect(lengths(r.bytes)).toEqual([
      [AttributeType.ErrorCode, 24], // RFC 3489 §11.2.9
      [AttributeType.UnknownAttributes, 4], // §11.2.10: 0x7f01 repeated
    ]);
    expect([...getAttribute(r.message, AttributeType.UnknownAttributes)!.value]).toEqual([0x7f, 0x01, 0x7f, 0x01]);
  });

  it('a modern 420 keeps SOFTWARE, the plain reason and the list as it is', async () => {
    const id = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const bytes = encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes: [{ type: 0x7f01, value: new Uint8Array(4) }] });
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(lengths(r.bytes).map(([t, l]) => [t, l])).toEqual([
      [AttributeType.ErrorCode, 21],
      [AttributeType.UnknownAttributes, 2],
      [AttributeType.Software, 6],
      [AttributeType.Fingerprint, 4],
    ]);
  });

  it('a success carries CHANGED-ADDRESS in single-address mode: the server itself', async () => {
    const [bytes, id] = classicRequest();
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(readMappedAddress(r.message)).toEqual(client.local);
    expect(readSourceAddress(r.message)).toEqual(server.addresses()[0]);
    expect(readChangedAddress(r.message)).toEqual(server.addresses()[0]);
  });

  it('a success carries CHANGED-ADDRESS in port-only mode: the other port', async () => {
    await using portOnly = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { port: 0 } }, { network });
    const [a0, a1] = portOnly.addresses();
    for (const [to, changed] of [[a0!, a1!], [a1!, a0!]] as const) {
      const [bytes, id] = classicRequest();
      const r = await exchange(client, to, bytes, id);
      expect(readChangedAddress(r.message)).toEqual(changed);
    }
  });
});

describe('RFC 8489 §14.5 at the server: nothing after MESSAGE-INTEGRITY is acted on', () => {
  let server: StunServer;
  let client: UdpSocket;
  let elsewhere: UdpSocket;
  beforeAll(async () => {
    server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' } }, { network });
    client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    elsewhere = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([client.close(), elsewhere.close(), server.close()]);
  });

  const id = (): Uint8Array => Uint8Array.from({ length: 12 }, (_, i) => (i * 7 + ++counter) & 0xff);

  it('RESPONSE-PORT after it does not redirect the answer', async () => {
    const tx = id();
    const redirected = waitFor(elsewhere, tx, 300);
    const r = await exchange(client, server.addresses()[0]!, withTrailer([], [responsePort(elsewhere.local.port)], true, tx), tx);
    expect(r.message.class).toBe('success');
    expect(await redirected).toBeUndefined();
  });

  it('CHANGE-REQUEST after it is not honored', async () => {
    const tx = id();
    const r = await exchange(client, server.addresses()[0]!, withTrailer([], [changeRequest({ changeIp: true, changePort: true })], true, tx), tx);
    expect(r.from).toEqual(server.addresses()[0]);
    expect(readResponseOrigin(r.message)).toEqual(server.addresses()[0]);
  });

  it('an unknown comprehension-required attribute after it draws no 420', async () => {
    const tx = id();
    const r = await exchange(client, server.addresses()[0]!, withTrailer([], [{ type: 0x7f01, value: new Uint8Array(4) }], true, tx), tx);
    expect(r.message.class).toBe('success');
  });

  it('the same attributes before it still count', async () => {
    const tx = id();
    const r = await exchange(client, server.addresses()[0]!, withTrailer([changeRequest({ changeIp: true, changePort: true })], [], true, tx), tx);
    expect(r.from).toEqual(server.addresses()[3]);
  });
});
