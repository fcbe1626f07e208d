import { connect as rawConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeNetwork, hasStreams, type StreamConnection, type StreamListener } from '../src/index.js';
import { certificateUnavailable, makeSelfSignedCertificate } from './self-signed-cert.js';

const net = createNodeNetwork();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function listen(options: Partial<Parameters<typeof net.listenTcp>[0]> = {}): Promise<StreamListener> {
  const l = await net.listenTcp({ family: 4, address: '127.0.0.1', ...options });
  cleanup.push(() => l.close());
  return l;
}

function firstConnection(l: StreamListener): Promise<StreamConnection> {
  return new Promise((resolve) => l.onConnection((c) => resolve(c)));
}

function readText(c: StreamConnection, want: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    c.onData((d) => {
      text += Buffer.from(d).toString();
      if (text.length >= want) resolve(text);
    });
  });
}

const certSkip = certificateUnavailable();
const tlsIt = certSkip !== undefined && process.env.CI !== 'true' ? it.skip : it;

describe('Node stream sockets', () => {
  it('offers streams as a separate capability', () => {
    expect(hasStreams(net)).toBe(true);
    expect(hasStreams({ bindUdp: () => undefined })).toBe(false);
  });

  it('carries bytes both ways over loopback TCP, with matching endpoints', async () => {
    const l = await listen();
    const accepted = firstConnection(l);
    const client = await net.connectTcp({ remote: l.local });
    cleanup.push(() => client.close());
    const server = await accepted;
    expect(server.remote).toEqual(client.local);
    expect(server.local).toEqual(l.local);
    expect(server.secure).toBe(false);
    server.onData((d) => server.write(d));
    const echoed = readText(client, 5);
    expect(client.write(Buffer.from('hello'))).toBe('queued');
    expect(await echoed).toBe('hello');
    const closed = new Promise<Error | undefined>((resolve) => server.onClose(resolve));
    await client.close();
    expect(await closed).toBeUndefined();
    expect(server.closed).toBe(true);
    expect(server.write(Buffer.from('x'))).toBe('closed');
  });

  it('carries bytes over IPv6 loopback, with RFC 5952 endpoints', async () => {
    const l = await net.listenTcp({ family: 6, address: '::1' });
    cleanup.push(() => l.close());
    const accepted = firstConnection(l);
    const client = await net.connectTcp({ remote: l.local });
    cleanup.push(() => client.close());
    const server = await accepted;
    expect(server.remote).toEqual({ address: '::1', port: client.local.port });
    server.onData((d) => server.write(d));
    const echoed = readText(client, 2);
    client.write(Buffer.from('v6'));
    expect(await echoed).toBe('v6');
  });

  it('refuses a connection to a port nobody listens on, and honours an abort signal', async () => {
    const l = await listen();
    const port = l.local.port;
    await l.close();
    await expect(net.connectTcp({ remote: { address: '127.0.0.1', port } })).rejects.toMatchObject({ code: 'ERR_CONNECT' });
    await expect(net.connectTcp({ remote: { address: '127.0.0.1', port }, signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('a handler added while a chunk is delivered sees only later chunks (a router handing over)', async () => {
    const l = await listen();
    const accepted = firstConnection(l);
    const client = await net.connectTcp({ remote: l.local });
    cleanup.push(() => client.close());
    const server = await accepted;
    const seen: string[] = [];
    const second = new Promise<void>((resolve) => {
      const off = server.onData((first) => {
        off();
        seen.push(`router:${Buffer.from(first).toString()}`);
        server.onData((d) => {
          seen.push(`route:${Buffer.from(d).toString()}`);
          resolve();
        });
      });
    });
    client.write(Buffer.from('a'));
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    client.write(Buffer.from('b'));
    await second;
    expect(seen).toEqual(['router:a', 'route:b']);
  });

  it('a data handler that throws ends its connection, not the process', async () => {
    const l = await listen();
    const accepted = firstConnection(l);
    const client = await net.connectTcp({ remote: l.local });
    const server = await accepted;
    server.onData(() => {
      throw new Error('handler bug');
    });
    const closed = new Promise<Error | undefined>((resolve) => server.onClose(resolve));
    client.write(Buffer.from('x'));
    expect((await closed)?.message).toBe('handler bug');
    await client.close();
  });

  it.each(['drop', 'close'] as const)('keeps the write buffer bounded for a reader that never reads (%s)', async (overflow) => {
    const limit = 256 * 1024;
    const l = await listen({ maxWriteBuffer: limit, overflow });
    const accepted = firstConnection(l);
    const slow: Socket = rawConnect({ host: '127.0.0.1', port: l.local.port });
    slow.pause(); // never reads: the kernel buffers fill, then Node's queue
    cleanup.push(() => slow.destroy());
    const server = await accepted;
    const closed = new Promise<Error | undefined>((resolve) => server.onClose(resolve));
    const chunk = Buffer.alloc(64 * 1024, 7);
    const results = new Map<string, number>();
    let maxBuffered = 0;
    for (let i = 0; i < 4000 && !server.closed; i++) {
      const r = server.write(chunk);
      results.set(r, (results.get(r) ?? 0) + 1);
      maxBuffered = Math.max(maxBuffered, server.bufferedBytes);
      if (r !== 'queued' && overflow === 'drop' && (results.get('dropped') ?? 0) > 50) break;
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(maxBuffered).toBeLessThanOrEqual(limit);
    if (overflow === 'drop') {
      expect(results.get('dropped')).toBeGreaterThan(50);
      expect(server.stats().writesDropped).toBe(results.get('dropped'));
      expect(server.closed).toBe(false);
    } else {
      expect((await closed)?.message).toMatch(/reads too slowly/);
      expect(results.get('closed')).toBe(1);
    }
  });

  tlsIt('terminates TLS on a listener with a certificate; a client that does not trust it fails', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const { cert, key } = makeSelfSignedCertificate();
    const l = await listen({ tls: { cert, key } });
    l.onConnection((c) => {
      expect(c.secure).toBe(true);
      c.onData((d) => c.write(d));
    });
    const client = await net.connectTcp({ remote: l.local, tls: { ca: cert } });
    cleanup.push(() => client.close());
    expect(client.secure).toBe(true);
    const echoed = readText(client, 6);
    client.write(Buffer.from('secret'));
    expect(await echoed).toBe('secret');
    await expect(net.connectTcp({ remote: l.local, tls: {} })).rejects.toMatchObject({ code: 'ERR_TLS_HANDSHAKE' });
  });

  tlsIt('writes each message as its own TLS record, however fast they are queued', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const { cert, key } = makeSelfSignedCertificate();
    const l = await listen({ tls: { cert, key } });
    l.onConnection((c) => c.onData(() => {
      for (let i = 0; i < 50; i++) c.write(Buffer.from(`message ${i};`));
    }));
    // A TLS 1.2 client over a recording pipe: application data records are type 23 (RFC 5246 §6.2.1).
    const raw = rawConnect({ host: '127.0.0.1', port: l.local.port });
    cleanup.push(() => raw.destroy());
    const seen: Buffer[] = [];
    const pipe = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        raw.write(chunk, () => done());
      },
    });
    raw.on('data', (d: Buffer) => {
      seen.push(d);
      pipe.push(d);
    });
    const client = tlsConnect({ socket: pipe, ca: cert, servername: 'localhost', maxVersion: 'TLSv1.2' });
    cleanup.push(() => client.destroy());
    await new Promise<void>((resolve) => client.once('secureConnect', () => resolve()));
    let text = '';
    const all = new Promise<void>((resolve) => client.on('data', (d: Buffer) => (text += d.toString()).includes('message 49;') && resolve()));
    client.write('go');
    await all;
    const bytes = Buffer.concat(seen);
    let records = 0;
    for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt16BE(at + 3)) if (bytes[at] === 23) records += 1;
    expect(records).toBe(50);
  });

  tlsIt('starts TLS on an accepted plain connection after its first bytes were read', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const { cert, key } = makeSelfSignedCertificate();
    const l = await listen();
    l.onConnection((plain) => {
      const off = plain.onData((first) => {
        off();
        expect(first[0]).toBe(0x16); // a TLS handshake record: the ClientHello
        void plain.startTls({ cert, key }, first).then((c) => c.onData((d) => c.write(d)));
      });
    });
    const client = await net.connectTcp({ remote: l.local, tls: { ca: cert } });
    cleanup.push(() => client.close());
    const echoed = readText(client, 4);
    client.write(Buffer.from('ping'));
    expect(await echoed).toBe('ping');
  });
});
