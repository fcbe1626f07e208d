import { createNodeNetwork, type Endpoint, type UdpSocket } from '@natkit/net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeType,
  changeRequest,
  createStunServer,
  createTransactionId,
  encodeMessage,
  getAttribute,
  padding,
  readChangedAddress,
  readErrorCode,
  readMappedAddress,
  readOtherAddress,
  readPaddingLength,
  readResponseOrigin,
  readSoftware,
  readSourceAddress,
  readUnknownAttributes,
  readXorMappedAddress,
  responsePort,
  startStunServer,
  StunMethod,
  StunServerError,
  verifyFingerprint,
  type AttributeSpec,
  type StunServer,
} from '../../src/index.js';
import { exchange, recordingLogger } from './loopback.js';

const network = createNodeNetwork();

function request(attributes: readonly AttributeSpec[] = [], fingerprint = false): [Uint8Array, Uint8Array] {
  const id = createTransactionId();
  return [encodeMessage({ method: StunMethod.Binding, class: 'request', transactionId: id, attributes }, { fingerprint }), id];
}

describe('one-address server', () => {
  const logger = recordingLogger();
  let server: StunServer;
  let client: UdpSocket;
  beforeAll(async () => {
    server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, software: 'natkit-test' }, { network, logger });
    client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('says at start that RFC 5780 tests need two addresses', () => {
    expect(server.mode).toBe('single');
    expect(logger.lines.some((l) => l.level === 'info' && /two IP addresses/.test(l.message))).toBe(true);
  });

  it('answers a Binding request with the mapped addresses, RESPONSE-ORIGIN, SOFTWARE and FINGERPRINT', async () => {
    const [bytes, id] = request();
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(r.message.class).toBe('success');
    expect(r.from).toEqual(server.addresses()[0]);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
    expect(readMappedAddress(r.message)).toEqual(client.local);
    expect(readResponseOrigin(r.message)).toEqual(server.addresses()[0]);
    expect(readSoftware(r.message)).toBe('natkit-test');
    expect(verifyFingerprint(r.message)).toBe(true);
    expect(readOtherAddress(r.message)).toBeUndefined();
  });

  it('answers CHANGE-REQUEST with 420 listing CHANGE-REQUEST (RFC 5780 §6)', async () => {
    const [bytes, id] = request([changeRequest({ changeIp: true, changePort: true })], true);
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(r.message.class).toBe('error');
    expect(readErrorCode(r.message)?.code).toBe(420);
    expect(readUnknownAttributes(r.message)).toEqual([AttributeType.ChangeRequest]);
    expect(verifyFingerprint(r.message)).toBe(true);
    expect(server.stats().errorResponses[420]).toBe(1);
  });

  it('answers unknown comprehension-required attributes with 420 and ignores optional ones', async () => {
    const unknown = { type: 0x7777, value: Uint8Array.of(1) };
    const optional = { type: 0xc123, value: Uint8Array.of(1) };
    const [bad, badId] = request([unknown, optional]);
    const e = await exchange(client, server.addresses()[0]!, bad, badId);
    expect(readErrorCode(e.message)?.code).toBe(420);
    expect(readUnknownAttributes(e.message)).toEqual([0x7777]);
    const [good, goodId] = request([optional]);
    expect((await exchange(client, server.addresses()[0]!, good, goodId)).message.class).toBe('success');
  });
});

describe('RFC 5780 server on 127.0.0.1 and 127.0.0.2', () => {
  let server: StunServer;
  let client: UdpSocket;
  let other: UdpSocket;
  let a: Endpoint[];
  beforeAll(async () => {
    server = await startStunServer(
      { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, maxPadding: 1000 },
      { network },
    );
    a = server.addresses();
    client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    other = await network.bindUdp({ family: 4, address: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([client.close(), other.close(), server.close()]);
  });

  it('binds two IPs x two ports with the same port pair on each IP', () => {
    expect(server.mode).toBe('full');
    expect(a.map((e) => e.address)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.2']);
    expect(a[2]!.port).toBe(a[0]!.port);
    expect(a[3]!.port).toBe(a[1]!.port);
    expect(a[1]!.port).not.toBe(a[0]!.port);
  });

  // RFC 5780 §6.1 Table 1, from each of the four sockets: role index = ip * 2 + port.
  const cases = [0, 1, 2, 3].flatMap((to) =>
    [[false, false], [false, true], [true, false], [true, true]].map(([ip, port]) => [to, ip!, port!] as const),
  );
  it.each(cases)('request to socket %i, change IP %s, change port %s', async (to, changeIp, changePort) => {
    const [bytes, id] = request([changeRequest({ changeIp, changePort })], true);
    const r = await exchange(client, a[to]!, bytes, id);
    const expected = a[to ^ (changeIp ? 2 : 0) ^ (changePort ? 1 : 0)];
    expect(r.message.class).toBe('success');
    expect(r.from).toEqual(expected);
    expect(readResponseOrigin(r.message)).toEqual(expected);
    expect(readOtherAddress(r.message)).toEqual(a[to ^ 3]);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
    expect(verifyFingerprint(r.message)).toBe(true);
  });

  it('sends to RESPONSE-PORT at the source IP, reporting the real source', async () => {
    const [bytes, id] = request([responsePort(other.local.port)]);
    const r = await exchange(client, a[0]!, bytes, id, other);
    expect(r.from).toEqual(a[0]);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
  });

  it('combines RESPONSE-PORT with CHANGE-REQUEST', async () => {
    const [bytes, id] = request([responsePort(other.local.port), changeRequest({ changeIp: true, changePort: false })]);
    const r = await exchange(client, a[0]!, bytes, id, other);
    expect(r.from).toEqual(a[2]);
  });

  it('echoes PADDING, capped by maxPadding and never above the request', async () => {
    for (const [asked, got] of [[100, 100], [3000, 1000], [0, 0]] as const) {
      const [bytes, id] = request([padding(asked)]);
      const r = await exchange(client, a[0]!, bytes, id);
      expect(readPaddingLength(r.message)).toBe(got);
      const [plain, plainId] = request();
      const base = (await exchange(client, a[0]!, plain, plainId)).bytes.length;
      // PADDING adds to the response at most what it added to the request.
      expect(r.bytes.length - base).toBeLessThanOrEqual(bytes.length - plain.length);
    }
  });

  it('answers PADDING with RESPONSE-PORT with 400 (RFC 5780 §6.1), to the source', async () => {
    const [bytes, id] = request([padding(8), responsePort(other.local.port)]);
    const r = await exchange(client, a[0]!, bytes, id);
    expect(readErrorCode(r.message)?.code).toBe(400);
  });

  it('answers an RFC 3489 request with MAPPED-ADDRESS, SOURCE-ADDRESS and CHANGED-ADDRESS', async () => {
    const id = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
    const bytes = encodeMessage({
      method: StunMethod.Binding,
      class: 'request',
      transactionId: id,
      attributes: [changeRequest({ changeIp: false, changePort: true })],
    });
    const r = await exchange(client, a[0]!, bytes, id);
    expect(r.message.isRfc3489).toBe(true);
    expect(r.message.legacyTransactionId).toEqual(id);
    expect(r.from).toEqual(a[1]);
    expect(readMappedAddress(r.message)).toEqual(client.local);
    expect(readSourceAddress(r.message)).toEqual(a[1]);
    expect(readChangedAddress(r.message)).toEqual(a[3]);
    expect(getAttribute(r.message, AttributeType.XorMappedAddress)).toBeUndefined();
    expect(getAttribute(r.message, AttributeType.Fingerprint)).toBeUndefined();
  });
});

describe('hostile input', () => {
  it('is dropped and counted by reason, and the server keeps answering', async () => {
    // Everything is sent in one tick before the server can read: room for it all in the buffer.
    const roomy = createNodeNetwork({ receiveBufferSize: 2 * 1024 * 1024 });
    await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 } }, { network: roomy });
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const to = server.addresses()[0]!;
    const [valid, validId] = request([], true);
    const badFingerprint = valid.slice();
    badFingerprint[badFingerprint.length - 1]! ^= 0xff;
    const hugeLength = valid.slice();
    hugeLength.set([0xff, 0xfc], 2);
    const badAttribute = encodeMessage({ method: 1, class: 'request', transactionId: createTransactionId(), attributes: [padding(4)] });
    badAttribute.set([0x00, 0x40], 22); // PADDING length 64 overruns the message
    const sent: [Uint8Array, string][] = [
      [Uint8Array.of(1, 2, 3), 'not-stun'],
      [valid.subarray(0, 19), 'not-stun'],
      [hugeLength, 'not-stun'],
      [Uint8Array.of(0xc0, ...valid.subarray(1)), 'not-stun'],
      [badAttribute, 'malformed'],
      [badFingerprint, 'bad-fingerprint'],
      [encodeMessage({ method: 1, class: 'indication', transactionId: createTransactionId() }), 'indication'],
      [encodeMessage({ method: 1, class: 'success', transactionId: createTransactionId() }), 'response'],
      [encodeMessage({ method: 3, class: 'request', transactionId: createTransactionId() }), 'unsupported-method'],
    ];
    const random = Array.from({ length: 200 }, (_, i) => Uint8Array.from({ length: (i * 7) % 300 }, () => (Math.random() * 256) | 0));
    for (const [bytes] of sent) client.send(bytes, to);
    for (const bytes of random) client.send(bytes, to);
    const r = await exchange(client, to, valid, validId);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
    const stats = server.stats();
    expect(stats.received).toBe(sent.length + random.length + 1);
    for (const reason of new Set(sent.map(([, reason]) => reason))) {
      expect(stats.dropped[reason as keyof typeof stats.dropped]).toBeGreaterThanOrEqual(sent.filter(([, x]) => x === reason).length);
    }
    const droppedTotal = Object.values(stats.dropped).reduce((n, x) => n + x, 0);
    expect(droppedTotal + stats.responded).toBe(stats.received);
  });
});

describe("otherAddressOnAlternate: 'coturn'", () => {
  it('answers requests on the alternate IP with the alternate IP and the other port', async () => {
    await using server = await startStunServer(
      { primary: { address: '127.0.0.1', port: 0 }, alternate: { address: '127.0.0.2' }, otherAddressOnAlternate: 'coturn' },
      { network },
    );
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const a = server.addresses();
    for (const [to, other] of [[0, 3], [1, 2], [2, 3], [3, 2]] as const) {
      const [bytes, id] = request();
      expect(readOtherAddress((await exchange(client, a[to]!, bytes, id)).message)).toEqual(a[other]);
    }
  });
});

describe('port-only server', () => {
  it('changes the port, refuses change-IP with 420, sends no OTHER-ADDRESS', async () => {
    await using server = await startStunServer({ primary: { address: '127.0.0.1', port: 0 }, alternate: { port: 0 } }, { network });
    await using client = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const [a0, a1] = server.addresses();
    expect(server.mode).toBe('port-only');
    const [p, pid] = request([changeRequest({ changeIp: false, changePort: true })]);
    const r = await exchange(client, a0!, p, pid);
    expect(r.from).toEqual(a1);
    expect(readOtherAddress(r.message)).toBeUndefined();
    const [ip, ipId] = request([changeRequest({ changeIp: true, changePort: false })]);
    const e = await exchange(client, a0!, ip, ipId);
    expect(readErrorCode(e.message)?.code).toBe(420);
    expect(readUnknownAttributes(e.message)).toEqual([AttributeType.ChangeRequest]);
  });
});

describe('IPv6', () => {
  it('answers over ::1 with an IPv6 XOR-MAPPED-ADDRESS', async () => {
    await using server = await startStunServer({ primary: { address: '::1', port: 0 } }, { network });
    await using client = await network.bindUdp({ family: 6, address: '::1' });
    const [bytes, id] = request();
    const r = await exchange(client, server.addresses()[0]!, bytes, id);
    expect(readXorMappedAddress(r.message)).toEqual(client.local);
    expect(readResponseOrigin(r.message)).toEqual(server.addresses()[0]);
  });
});

describe('lifecycle', () => {
  it('start and close are idempotent; start after close is refused', async () => {
    const server = createStunServer({ primary: { address: '127.0.0.1', port: 0 } }, { network });
    expect(server.addresses()).toEqual([]);
    await Promise.all([server.start(), server.start()]);
    expect(server.addresses()).toHaveLength(1);
    await Promise.all([server.close(), server.close()]);
    await expect(server.start()).rejects.toBeInstanceOf(StunServerError);
  });
  it('a port in use is a typed bind error and leaves nothing bound', async () => {
    await using taken = await network.bindUdp({ family: 4, address: '127.0.0.2' });
    const server = createStunServer(
      { primary: { address: '127.0.0.1', port: taken.local.port }, alternate: { address: '127.0.0.2', port: taken.local.port + 1 } },
      { network },
    );
    await expect(server.start()).rejects.toMatchObject({ code: 'ERR_STUN_SERVER_BIND' });
    const again = await network.bindUdp({ family: 4, address: '127.0.0.1', port: taken.local.port });
    await again.close();
  });
});
