import { createServer as createHttpServer, get, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRendezvousServer, type ByteStream, type RendezvousServer } from '../../src/index.js';
import { connectClient } from '../fixtures.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function own(rendezvous: RendezvousServer, listener: Server | TcpServer): void {
  closers.push(async () => {
    await rendezvous.close();
    if ('closeAllConnections' in listener) listener.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });
}

/** A minimal StreamConnection-shaped wrapper of a socket (what the one-port listener hands over). */
function byteStreamOf(socket: Socket): ByteStream {
  return {
    remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    write: (data) => (socket.destroyed ? 'closed' : (socket.write(data), 'queued')),
    onData: (handler) => {
      socket.on('data', handler);
      return () => socket.off('data', handler);
    },
    onClose: (handler) => {
      const listener = (): void => handler();
      socket.once('close', listener);
      return () => socket.off('close', listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => socket.destroy(), 500).unref();
      }),
  };
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('attaching to an existing listener', () => {
  it("an http.Server's upgrade event", async () => {
    const rendezvous = createRendezvousServer();
    const http = createHttpServer((_req, res) => res.end('other handler'));
    rendezvous.attach(http);
    const port = await listen(http);
    own(rendezvous, http);
    const url = `ws://127.0.0.1:${port}/rendezvous`;
    const [alice, bob] = [await connectClient(url), await connectClient(url)];
    await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ peer: { peerId: bob.peerId } });
    expect(await httpGet(port, '/')).toEqual({ status: 200, body: 'other handler' });
  });

  it('a raw TCP socket handed over with the first bytes already read (the one-port listener)', async () => {
    const rendezvous = createRendezvousServer();
    const tcp = createTcpServer((socket) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        // The one-port listener looks at the first bytes: an HTTP request goes to the rendezvous.
        if (/^[A-Z]+ /.test(first.toString('latin1', 0, 8))) rendezvous.handleConnection(socket, first);
        else socket.destroy();
      });
    });
    const port = await listen(tcp);
    own(rendezvous, tcp);
    const url = `ws://127.0.0.1:${port}/rendezvous`;
    const [alice, bob] = [await connectClient(url), await connectClient(url)];
    await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ peer: { peerId: bob.peerId, observed: bob.observed } });
    // Plain HTTP on that port is told to upgrade; another path is not found.
    expect(await httpGet(port, '/')).toMatchObject({ status: 426 });
    await expect(connectClient(`ws://127.0.0.1:${port}/elsewhere`)).rejects.toMatchObject({ code: 'ERR_RENDEZVOUS_CONNECT', message: expect.stringMatching(/404/) });
  });

  it('a raw socket of which only the first 4 bytes were read (the rest still buffered)', async () => {
    const rendezvous = createRendezvousServer();
    const tcp = createTcpServer((socket) => {
      const onReadable = (): void => {
        const first = socket.read(4) as Buffer | null;
        if (first === null) return;
        socket.off('readable', onReadable);
        rendezvous.handleConnection(socket, first);
      };
      socket.on('readable', onReadable);
    });
    const port = await listen(tcp);
    own(rendezvous, tcp);
    const url = `ws://127.0.0.1:${port}/rendezvous`;
    const [alice, bob] = [await connectClient(url), await connectClient(url)];
    await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ peer: { peerId: bob.peerId } });
  });

  it('a stream connection of the one-port listener (StreamConnection shape) with its first bytes', async () => {
    const rendezvous = createRendezvousServer();
    const tcp = createTcpServer((socket) => {
      socket.once('data', (first: Buffer) => rendezvous.handleStream(byteStreamOf(socket), first));
    });
    const port = await listen(tcp);
    own(rendezvous, tcp);
    const url = `ws://127.0.0.1:${port}/rendezvous`;
    const [alice, bob] = [await connectClient(url), await connectClient(url)];
    expect(alice.observed.address).toBe('127.0.0.1');
    expect(alice.observed.port).toBeGreaterThan(0);
    await expect(alice.connect(bob.peerId)).resolves.toMatchObject({ peer: { peerId: bob.peerId, observed: bob.observed } });
    const closed = new Promise<{ code: number }>((resolve) => alice.on('close', resolve));
    await rendezvous.close();
    expect((await closed).code).toBe(1001);
  });

  it('close() tells connected clients server-closing and is idempotent', async () => {
    const rendezvous = createRendezvousServer();
    const http = createHttpServer();
    rendezvous.attach(http);
    const port = await listen(http);
    own(rendezvous, http);
    const alice = await connectClient(`ws://127.0.0.1:${port}/rendezvous`);
    const closed = new Promise<{ code: number; error: unknown }>((resolve) => alice.on('close', resolve));
    await Promise.all([rendezvous.close(), rendezvous.close()]);
    expect(await closed).toMatchObject({ code: 1001, error: { code: 'server-closing' } });
    expect(rendezvous.stats().connections).toBe(0);
  });
});
