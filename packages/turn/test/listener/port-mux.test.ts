import { createNodeNetwork, type StreamConnection, type StreamListener } from '@natkit/net';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortMux, type PortMuxOptions } from '../../src/listener/port-mux.js';
import { certificateUnavailable, makeSelfSignedCertificate } from '../../../net/test/self-signed-cert.js';

const net = createNodeNetwork();
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Routed {
  kind: 'turn' | 'http';
  connection: StreamConnection;
  bytes: Uint8Array;
}

async function serve(options: PortMuxOptions = {}, tlsOnly = false, httpRoute = false) {
  const listener: StreamListener = await net.listenTcp({ family: 4, address: '127.0.0.1' });
  cleanup.push(() => listener.close());
  const routed: Routed[] = [];
  let notify: (r: Routed) => void = () => {};
  const push = (r: Routed): void => {
    routed.push(r);
    notify(r);
  };
  const mux = createPortMux(
    {
      turn: (connection, bytes) => push({ kind: 'turn', connection, bytes }),
      ...(httpRoute ? { http: (connection: StreamConnection, bytes: Uint8Array) => push({ kind: 'http', connection, bytes }) } : {}),
    },
    options,
  );
  mux.attach(listener, { tlsOnly });
  const next = (): Promise<Routed> => new Promise((resolve) => (notify = resolve));
  return { listener, mux, routed, next };
}

async function connect(l: StreamListener, tls?: { ca: string }): Promise<StreamConnection> {
  const c = await net.connectTcp({ remote: l.local, ...(tls ? { tls } : {}) });
  cleanup.push(() => c.close(0));
  return c;
}

function closedOf(c: StreamConnection): Promise<void> {
  return new Promise((resolve) => (c.closed ? resolve() : c.onClose(() => resolve())));
}

function readAll(c: StreamConnection): Promise<string> {
  let text = '';
  c.onData((d) => (text += Buffer.from(d).toString('latin1')));
  return closedOf(c).then(() => text);
}

/** Polls `pred` every 10 ms, at most 2 s (server-side close events trail the client's). */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
}

const stunHead = Uint8Array.of(0x00, 0x03, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, ...new Array<number>(12).fill(1));
const certSkip = certificateUnavailable();
const tlsIt = certSkip !== undefined && process.env.CI !== 'true' ? it.skip : it;

describe('one TCP port: connections routed by their first bytes', () => {
  it('hands STUN/TURN framing to the TURN route with every byte read so far', async () => {
    const { listener, next } = await serve();
    const routed = next();
    const c = await connect(listener);
    c.write(stunHead.subarray(0, 3));
    c.write(stunHead.subarray(3));
    const r = await routed;
    expect(r.kind).toBe('turn');
    expect(r.connection.remote).toEqual(c.local);
    // Whatever arrived with the deciding chunk is included; later bytes come through onData.
    expect(Array.from(r.bytes)).toEqual(Array.from(stunHead).slice(0, r.bytes.length));
  });

  it.each([
    ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '404 Not Found'],
    ['GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', '426 Upgrade Required'],
    ['OPTIONS * HTTP/1.1\r\n\r\n', '404 Not Found'],
  ])('answers HTTP with a placeholder until the rendezvous claims the slot: %j', async (request, status) => {
    const { listener, mux } = await serve();
    const c = await connect(listener);
    const text = readAll(c);
    c.write(Buffer.from(request));
    expect(await text).toMatch(new RegExp(`^HTTP/1.1 ${status}\r\n`));
    expect(mux.stats().routed.http).toBe(1);
  });

  it('gives HTTP to the route that claims it', async () => {
    const { listener, next } = await serve({}, false, true);
    const routed = next();
    const c = await connect(listener);
    c.write(Buffer.from('GET /v1 HTTP/1.1\r\n'));
    const r = await routed;
    expect(r.kind).toBe('http');
    expect(Buffer.from(r.bytes).toString()).toMatch(/^GET /);
  });

  it.each([
    ['an unknown first byte', Uint8Array.of(0x80, 1, 2, 3)],
    ['a reserved channel number', Uint8Array.of(0x5a, 0, 0, 0)],
    ['a ClientHello with no certificate configured', Uint8Array.of(0x16, 3, 1, 0, 10)],
  ])('closes %s', async (_name, bytes) => {
    const { listener, mux } = await serve();
    const c = await connect(listener);
    c.write(bytes);
    await closedOf(c);
    expect(mux.stats().unknownProtocol).toBe(1);
  });

  it('closes a connection that says nothing within the first-bytes timeout', async () => {
    const { listener, mux } = await serve({ firstBytesTimeoutMs: 100 });
    const c = await connect(listener);
    c.write(Uint8Array.of(0x47)); // 'G': HTTP or ChannelData, undecided
    await closedOf(c);
    expect(mux.stats().firstBytesTimeouts).toBe(1);
  });

  it('closes a routed connection that stays idle', async () => {
    const { listener, mux, next } = await serve({ idleTimeoutMs: 150 });
    const routed = next();
    const c = await connect(listener);
    c.write(stunHead);
    await routed;
    await closedOf(c);
    expect(mux.stats().idleTimeouts).toBe(1);
    await until(() => mux.stats().open === 0);
    expect(mux.stats().open).toBe(0);
  });

  it('caps open connections per source address, and frees the slot on close', async () => {
    const { listener, mux } = await serve({ maxConnectionsPerAddress: 2 });
    const a = await connect(listener);
    const b = await connect(listener);
    const refused = await connect(listener);
    await closedOf(refused);
    expect(mux.stats()).toMatchObject({ open: 2, refusedPerAddress: 1 });
    expect(a.closed || b.closed).toBe(false);
    await a.close(0);
    await until(() => mux.stats().open === 1);
    const again = await connect(listener);
    again.write(stunHead);
    expect(mux.stats().open).toBe(2);
    expect(again.closed).toBe(false);
  });

  it('caps open connections in total', async () => {
    const { listener, mux } = await serve({ maxConnections: 1 });
    await connect(listener);
    const refused = await connect(listener);
    await closedOf(refused);
    expect(mux.stats()).toMatchObject({ open: 1, refusedTotal: 1 });
  });

  tlsIt('terminates TLS on a ClientHello, then routes what the TLS stream carries', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const cert = makeSelfSignedCertificate();
    const { listener, next, mux } = await serve({ tls: cert });
    const routed = next();
    const c = await connect(listener, { ca: cert.cert });
    c.write(stunHead);
    const r = await routed;
    expect(r.kind).toBe('turn');
    expect(r.connection.secure).toBe(true);
    expect(Array.from(r.bytes)).toEqual(Array.from(stunHead));
    expect(mux.stats().routed).toEqual({ turn: 1, tls: 1, http: 0 });
  });

  tlsIt('gives up on a TLS handshake that stalls after the first byte', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const { listener, mux } = await serve({ tls: makeSelfSignedCertificate(), firstBytesTimeoutMs: 200 });
    const c = await connect(listener);
    c.write(Uint8Array.of(0x16, 0x03, 0x01)); // the start of a ClientHello, then nothing
    await closedOf(c);
    await until(() => mux.stats().tlsFailures === 1);
    expect(mux.stats()).toMatchObject({ tlsFailures: 1, routed: { tls: 1, turn: 0 } });
    await until(() => mux.stats().open === 0);
    expect(mux.stats().open).toBe(0);
  });

  tlsIt('refuses plain TURN on the TLS-only port', async () => {
    if (certSkip !== undefined) throw new Error(certSkip);
    const { listener, mux } = await serve({ tls: makeSelfSignedCertificate() }, true);
    const c = await connect(listener);
    c.write(stunHead);
    await closedOf(c);
    expect(mux.stats().unknownProtocol).toBe(1);
  });
});
