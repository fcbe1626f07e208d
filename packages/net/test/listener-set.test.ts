import { describe, expect, it } from 'vitest';
import { createListenerSet, createNodeNetwork, silentLogger, type Network, type UdpSocket } from '../src/index.js';

const node = createNodeNetwork();

/** Echoes on every socket of the set: the answer leaves from the socket the datagram came to. */
function echo(socket: UdpSocket): void {
  socket.onMessage((data, from) => socket.send(data, from));
}

async function ask(to: { address: string; port: number }): Promise<{ address: string; port: number }> {
  await using client = await node.bindUdp({ family: 4, address: '127.0.0.1' });
  const answer = new Promise<{ address: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer')), 2000);
    client.onMessage((_, from) => {
      clearTimeout(timer);
      resolve(from);
    });
  });
  client.send(Uint8Array.of(1), to);
  return await answer;
}

describe('listener set', () => {
  it('an explicit address: one socket, replayed to every watcher', async () => {
    await using set = createListenerSet({ family: 4, address: '127.0.0.1' }, { network: node });
    await set.start();
    const seen: string[] = [];
    set.watch({ added: (s) => seen.push(s.local.address) });
    expect(seen).toEqual(['127.0.0.1']);
    expect(set.perAddress()).toBe(false);
    expect(set.port()).toBe(set.sockets()[0]!.local.port);
  });

  it('the wildcard: one socket per local address of the family, all on one port', async () => {
    await using set = createListenerSet({ family: 4 }, { network: node });
    await set.start();
    set.watch({ added: echo });
    expect(set.perAddress()).toBe(true);
    const locals = set.sockets().map((s) => s.local);
    expect(locals.map((l) => l.address)).toContain('127.0.0.1');
    expect(locals.every((l) => l.address !== '0.0.0.0' && l.port === set.port())).toBe(true);
    expect(await ask({ address: '127.0.0.1', port: set.port() })).toEqual({ address: '127.0.0.1', port: set.port() });
  });

  it('follows address changes: binds an address that appears, closes one that goes', async () => {
    // The OS's list, with one address added and removed (127.0.0.3 is local on Linux: all of 127/8 is).
    let extra: string[] = [];
    const network: Network = {
      ...node,
      interfaceAddresses: () => ['127.0.0.1', ...extra].map((address) => ({ address, family: 4, interface: 'lo', internal: true })),
    };
    await using set = createListenerSet({ family: 4, refreshIntervalMs: 60_000 }, { network });
    await set.start();
    const events: string[] = [];
    set.watch({ added: (s) => (echo(s), events.push(`+${s.local.address}`)), removed: (s) => events.push(`-${s.local.address}`) });
    extra = ['127.0.0.3'];
    await set.refresh();
    expect(await ask({ address: '127.0.0.3', port: set.port() })).toEqual({ address: '127.0.0.3', port: set.port() });
    const third = set.sockets().find((s) => s.local.address === '127.0.0.3')!;
    extra = [];
    await set.refresh();
    expect(events).toEqual(['+127.0.0.1', '+127.0.0.3', '-127.0.0.3']);
    const errors: string[] = [];
    third.onError((e) => errors.push((e as { code?: string }).code ?? ''));
    third.send(Uint8Array.of(1), { address: '127.0.0.1', port: 9 });
    expect(errors).toEqual(['ERR_SOCKET_CLOSED']);
  });

  it('a network that cannot list its addresses gets the wildcard socket', async () => {
    const network: Network = { bindUdp: (o) => node.bindUdp(o), localAddressFor: (r) => node.localAddressFor(r) };
    await using set = createListenerSet({ family: 4 }, { network });
    await set.start();
    expect(set.perAddress()).toBe(false);
    expect(set.sockets().map((s) => s.local.address)).toEqual(['0.0.0.0']);
  });

  it('a watcher that throws breaks neither the set nor the other watchers', async () => {
    await using set = createListenerSet({ family: 4, address: '127.0.0.1' }, { network: node });
    await set.start();
    const seen: number[] = [];
    set.watch({
      added: () => {
        throw new Error('boom');
      },
    });
    set.watch({ added: (s) => seen.push(s.local.port) });
    expect(seen).toEqual([set.port()]);
  });

  it('closes every socket, idempotently, and refuses to start again', async () => {
    const set = createListenerSet({ family: 4 }, { network: node });
    await set.start();
    const removed: string[] = [];
    set.watch({ added: () => undefined, removed: (s) => removed.push(s.local.address) });
    const count = set.sockets().length;
    await Promise.all([set.close(), set.close()]);
    expect(removed.length).toBe(count);
    expect(set.sockets()).toEqual([]);
    await expect(set.start()).rejects.toThrow(/closed/);
  });
});

describe('listener set on a fixed port', () => {
  it('serves the addresses it can bind, and retries the others at the next refresh', async () => {
    // 203.0.113.77 (TEST-NET-3) is no local address: binding it fails (nothing is sent).
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (m: string) => warnings.push(m), child: () => logger };
    const network: Network = {
      ...node,
      interfaceAddresses: () => ['127.0.0.1', '203.0.113.77'].map((address) => ({ address, family: 4, interface: 'x', internal: false })),
    };
    const free = await node.bindUdp({ family: 4, address: '127.0.0.1' });
    const port = free.local.port;
    await free.close();
    await using set = createListenerSet({ family: 4, port, refreshIntervalMs: 60_000 }, { network, logger });
    await set.start();
    expect(set.sockets().map((s) => s.local)).toEqual([{ address: '127.0.0.1', port }]);
    expect(warnings).toEqual(['cannot bind an address yet: retrying at the next refresh']);
    await set.refresh();
    expect(set.sockets().length).toBe(1);
  });

  it('fails to start when no address can be bound', async () => {
    const network: Network = { ...node, interfaceAddresses: () => [{ address: '203.0.113.77', family: 4, interface: 'x', internal: false }] };
    // A fixed port is what this is about; no socket ever holds it (the bind fails).
    const set = createListenerSet({ family: 4, port: 3478 }, { network });
    await expect(set.start()).rejects.toThrow(/203\.0\.113\.77/);
    await set.close();
  });
});
