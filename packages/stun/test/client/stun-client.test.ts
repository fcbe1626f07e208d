import { describe, expect, it } from 'vitest';
import { createVirtualNetwork, ManualClock } from '@natkit/vnet';
import {
  createStunServer,
  decodeMessage,
  encodeMessage,
  StunClient,
  StunTimeoutError,
  xorMappedAddress,
} from '../../src/index.js';

async function setup() {
  const clock = new ManualClock();
  const vnet = createVirtualNetwork({ clock, seed: 3 });
  const serverHost = vnet.createHost(vnet.internet, { ipv4: '203.0.113.1' });
  const clientHost = vnet.createHost(vnet.internet, { ipv4: '203.0.113.50' });
  const socket = await clientHost.network.bindUdp({ family: 4 });
  return { clock, vnet, serverHost, socket };
}

describe('StunClient over a shared socket', () => {
  it('gets the mapped address from a real server and leaves other datagrams to other handlers', async () => {
    const { clock, vnet, serverHost, socket } = await setup();
    const server = createStunServer({ primary: { address: '203.0.113.1', port: 3478 } }, { network: serverHost.network, clock });
    await server.start();
    const client = new StunClient({}, { socket, clock });
    const others: number[] = [];
    socket.onMessage((data) => others.push(data[0] ?? -1));
    const r = await clock.runUntil(client.request({ address: '203.0.113.1', port: 3478 }));
    expect(r.message.class).toBe('success');
    expect(r.attempts).toBe(1);
    client.close();
    client.close();
    await expect(client.request({ address: '203.0.113.1', port: 3478 })).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    expect(others).toHaveLength(1); // the shared socket's other handler saw the response too, and decided for itself
    await server.close();
    await vnet.close();
  });

  it('retransmits on the injected clock and times out with the number of attempts', async () => {
    const { clock, vnet, socket } = await setup();
    const client = new StunClient({ policy: { rtoMs: 100, rc: 3, rm: 2 } }, { socket, clock });
    const start = clock.now();
    const p = client.request({ address: '203.0.113.1', port: 3478 });
    const err = await clock.runUntil(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StunTimeoutError);
    expect((err as StunTimeoutError).attempts).toBe(3);
    expect(clock.now() - start).toBe(500); // sends at 0, 100, 300; gives up 2 x 100 ms later
    await vnet.close();
  });

  it('ignores an answer with the right id from the wrong address, and says so on timeout', async () => {
    const { clock, vnet, serverHost, socket } = await setup();
    // A responder that answers from another port than the one it was asked on.
    const asked = await serverHost.network.bindUdp({ family: 4, port: 3478 });
    const answering = await serverHost.network.bindUdp({ family: 4, port: 3479 });
    asked.onMessage((data, from) => {
      const m = decodeMessage(data);
      if (!m.ok) return;
      answering.send(encodeMessage({ method: 1, class: 'success', transactionId: m.value.transactionId, attributes: [xorMappedAddress(from)] }), from);
    });
    const client = new StunClient({ policy: { rtoMs: 50, rc: 2, rm: 1 } }, { socket, clock });
    const err = await clock.runUntil(client.request({ address: '203.0.113.1', port: 3478 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StunTimeoutError);
    // One wrong answer per transmission (two sends).
    const wrong = (err as StunTimeoutError).wrongSource.map((e) => ({ address: e.address, port: e.port }));
    expect(wrong).toEqual([{ address: '203.0.113.1', port: 3479 }, { address: '203.0.113.1', port: 3479 }]);
    const ok = await clock.runUntil(client.request({ address: '203.0.113.1', port: 3478 }, { expectFrom: 'any' }));
    expect(ok.from.port).toBe(3479);
    await vnet.close();
  });

  it('refuses a transaction id that is not 12 bytes', async () => {
    const { vnet, socket, clock } = await setup();
    const client = new StunClient({}, { socket, clock });
    await expect(client.request({ address: '203.0.113.1', port: 3478 }, { transactionId: new Uint8Array(16) })).rejects.toMatchObject({
      code: 'ERR_TRANSACTION_REFUSED',
    });
    await vnet.close();
  });

  it('aborts a request with its signal', async () => {
    const { clock, vnet, socket } = await setup();
    const client = new StunClient({}, { socket, clock });
    const controller = new AbortController();
    const p = client.request({ address: '203.0.113.1', port: 3478 }, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await vnet.close();
  });
});
