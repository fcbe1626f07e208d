import { createNodeNetwork, type Endpoint } from '@natkit/net';
import { AttributeType, readAlternateServer, readErrorCode } from '@natkit/stun';
import { describe, expect, it } from 'vitest';
import { allocateRelay, createTurnServer, type TurnServer } from '../../src/index.js';
import { requestedTransport, TurnMethod } from '../../src/proto/index.js';
import { RawTurnClient } from './raw-turn-client.js';

/** A front server that redirects every UDP Allocate to a worker server, both on real loopback sockets. */
async function frontAndWorker(auth: { selfIssuedSecret?: string; users?: Map<string, string>; issuedNamesShared?: boolean }): Promise<{ front: TurnServer; worker: TurnServer; frontAt: Endpoint; workerAt: Endpoint; close: () => Promise<void> }> {
  const network = createNodeNetwork();
  const frontSocket = await network.bindUdp({ family: 4, address: '127.0.0.1', port: 0 });
  const workerSocket = await network.bindUdp({ family: 4, address: '127.0.0.1', port: 0 });
  const options = { ...auth, relayPorts: { low: 1024, high: 65535 }, allowPeers: ['127.0.0.0/8'] };
  const worker = createTurnServer(options, { network });
  const front = createTurnServer(options, { network, redirect: (ctx) => ({ address: ctx.local.address, port: workerSocket.local.port }) });
  front.attachUdpSocket(frontSocket);
  worker.attachUdpSocket(workerSocket);
  return {
    front, worker, frontAt: frontSocket.local, workerAt: workerSocket.local,
    close: async () => {
      await Promise.all([front.close(), worker.close()]);
      await Promise.all([frontSocket.close(), workerSocket.close()]);
    },
  };
}

describe('Allocate redirect (300 ALTERNATE-SERVER) to a worker', () => {
  it('self-issued credentials from the front work at the worker when they share the secret; the client follows the 300', async () => {
    const site = await frontAndWorker({ selfIssuedSecret: 'shared-by-all-processes' });
    try {
      const credentials = site.front.mintCredentials('alice');
      const a = await allocateRelay({ server: site.frontAt, credentials }, { network: createNodeNetwork() });
      expect(a.server).toEqual(site.workerAt);
      expect(a.redirects).toEqual([site.workerAt]);
      const echo = await createNodeNetwork().bindUdp({ family: 4, address: '127.0.0.1', port: 0 });
      const got = new Promise<Uint8Array>((r) => echo.onMessage((d) => r(d)));
      a.socket.send(Uint8Array.of(7, 7, 7), echo.local);
      expect(Array.from(await got)).toEqual([7, 7, 7]);
      await a.socket.close();
      await echo.close();
      expect(site.front.stats()).toMatchObject({ allocations: 0, responses: { 300: 1 } });
      expect(site.worker.stats().allocationsCreated).toBe(1);
    } finally {
      await site.close();
    }
  });

  it('answers 300 only after authentication, signed; a wrong password gets 401 and no ALTERNATE-SERVER', async () => {
    const site = await frontAndWorker({ users: new Map([['bob', 'right-pw']]) });
    const network = createNodeNetwork();
    const good = new RawTurnClient(await network.bindUdp({ family: 4, address: '127.0.0.1' }), site.frontAt, 'bob', 'right-pw');
    const bad = new RawTurnClient(await network.bindUdp({ family: 4, address: '127.0.0.1' }), site.frontAt, 'bob', 'wrong-pw');
    try {
      const ok = await good.request(TurnMethod.Allocate, [requestedTransport(17)]);
      expect(readErrorCode(ok)?.code).toBe(300);
      expect(readAlternateServer(ok)).toEqual(site.workerAt);
      expect(ok.attributes.some((x) => x.type === AttributeType.MessageIntegrity || x.type === AttributeType.MessageIntegritySha256)).toBe(true);
      const refused = await bad.request(TurnMethod.Allocate, [requestedTransport(17)]);
      expect(readErrorCode(refused)?.code).toBe(401);
      expect(readAlternateServer(refused)).toBeUndefined();
    } finally {
      await good.socket.close();
      await bad.socket.close();
      await site.close();
    }
  });

  it('USERHASH with static users and a shared self-issued secret: offered where minted names are handed over, found at the worker by hash', async () => {
    const site = await frontAndWorker({ users: new Map([['bob', 'right-pw']]), selfIssuedSecret: 'shared-by-all-processes', issuedNamesShared: true });
    const network = createNodeNetwork();
    try {
      expect([site.front.offersUserhash, site.worker.offersUserhash]).toEqual([true, true]);
      const minted = site.front.mintCredentials('peer-1', 600);
      const unknown = site.front.mintCredentials('peer-2', 600);
      expect(site.front.issuedNames().map((n) => n.username)).toEqual([minted.username, unknown.username]);
      site.worker.rememberIssued([minted]); // what natkit serve's primary sends its workers
      for (const credentials of [{ username: 'bob', password: 'right-pw' }, minted]) {
        const a = await allocateRelay({ server: site.frontAt, credentials }, { network });
        expect(a.server, credentials.username).toEqual(site.workerAt);
        expect(a.userhash, credentials.username).toBe(true);
        await a.socket.close();
      }
      // A name the worker was never handed cannot be found from its hash: that is why they are shared.
      await expect(allocateRelay({ server: site.workerAt, credentials: unknown }, { network })).rejects.toThrow();
      expect(site.worker.stats().userhash).toBeGreaterThanOrEqual(2);
    } finally {
      await site.close();
    }
  });

  it('USERHASH is not offered with a shared secret whose minted names are not handed over', async () => {
    const site = await frontAndWorker({ users: new Map([['bob', 'right-pw']]), selfIssuedSecret: 'shared-by-all-processes' });
    try {
      expect([site.front.offersUserhash, site.worker.offersUserhash]).toEqual([false, false]);
      site.worker.rememberIssued([site.front.mintCredentials('peer-1', 600)]);
      expect(site.worker.issuedNames()).toEqual([]);
    } finally {
      await site.close();
    }
  });
});
