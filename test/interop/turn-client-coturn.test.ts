import { createNodeNetwork } from '@natkit/net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { allocateRelay, restCredentials, TurnClientError, type TurnAllocation, type TurnTransport } from '@natkit/turn';
import { describeWithTools, startCoturn, startServers, waitForStun, type Coturn } from './turn-client-coturn.js';
import { expectRelayBothWays } from './turn-client-echo.js';

/*
 * natkit's TURN client against coturn (an implementation nobody here wrote), on loopback:
 * static and REST credentials, UDP and TCP to the server, ChannelData and Send/Data indications.
 */
const network = createNodeNetwork();
const server = (c: Coturn) => ({ address: '127.0.0.1', port: c.port });

async function checkRelay(c: Coturn, credentials: { username: string; password: string }, transport: TurnTransport, channels: boolean): Promise<void> {
  const facts = await expectRelayBothWays(server(c), credentials, transport, channels);
  expect(facts.software).toMatch(/Coturn/i);
  expect(facts.integritySha256).toBe(false); // coturn lacks RFC 8489 SHA-256 auth
}

describeWithTools('TURN client against coturn, static credentials', ['turnserver'], () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn({ users: ['alice:secret'] });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`relays both ways over ${transport.toUpperCase()} with ChannelData`, async () => {
      await checkRelay(coturn, { username: 'alice', password: 'secret' }, transport, true);
    });
    it(`relays both ways over ${transport.toUpperCase()} with Send and Data indications`, async () => {
      await checkRelay(coturn, { username: 'alice', password: 'secret' }, transport, false);
    });
  }

  it('says "wrong credentials" for a wrong password', async () => {
    const e = await allocateRelay({ server: server(coturn), credentials: { username: 'alice', password: 'nope' } }, { network }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TurnClientError);
    expect((e as TurnClientError).code).toBe('ERR_TURN_AUTH');
    expect((e as TurnClientError).message).toMatch(/wrong credentials/);
  });

  // Without the deletion the 5-tuple would stay taken (437) for the 600 s lifetime.
  it('deletes the allocation on close with LIFETIME 0 (coturn frees the 5-tuple on its next 1 s tick)', async () => {
    const socket = await network.bindUdp({ family: 4, address: '127.0.0.1' });
    const credentials = { username: 'alice', password: 'secret' };
    try {
      const first = await allocateRelay({ server: server(coturn), credentials }, { network, socket });
      await first.socket.close();
      let second: TurnAllocation | undefined;
      for (let i = 0; i < 30 && second === undefined; i++) {
        second = await allocateRelay({ server: server(coturn), credentials }, { network, socket }).catch(async (e: unknown) => {
          expect((e as TurnClientError).status).toBe(437); // still there until coturn's tick
          await new Promise((r) => setTimeout(r, 100));
          return undefined;
        });
      }
      expect(second).toBeDefined();
      await second?.socket.close();
    } finally {
      await socket.close();
    }
  });
});

describeWithTools('TURN client against coturn, REST credentials (use-auth-secret)', ['turnserver'], () => {
  let coturn: Coturn;
  const secret = 'natkit-interop-secret';
  beforeAll(async () => {
    coturn = await startCoturn({ authSecret: secret });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`relays both ways over ${transport.toUpperCase()} with ephemeral credentials`, async () => {
      const credentials = restCredentials({ secret, user: 'alice', nowSeconds: Date.now() / 1000 });
      await checkRelay(coturn, credentials, transport, true);
    });
  }

  it('is refused with expired REST credentials', async () => {
    const credentials = restCredentials({ secret, user: 'alice', nowSeconds: Date.now() / 1000 - 7200, ttlSeconds: 60 });
    const e = await allocateRelay({ server: server(coturn), credentials }, { network }).catch((x: unknown) => x);
    expect((e as TurnClientError).code).toBe('ERR_TURN_AUTH');
  });
});

describeWithTools('TURN client against coturn that refuses loopback peers', ['turnserver'], () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn({ users: ['alice:secret'], allowLoopbackPeers: false });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  it('reports 403 as "forbidden" when a permission is refused', async () => {
    const a = await allocateRelay({ server: server(coturn), credentials: { username: 'alice', password: 'secret' } }, { network });
    try {
      const e = await a.socket.permit([{ address: '127.0.0.1', port: 9 }]).catch((x: unknown) => x);
      expect((e as TurnClientError).code).toBe('ERR_TURN_FORBIDDEN');
      expect((e as TurnClientError).status).toBe(403);
    } finally {
      await a.socket.close();
    }
  });
});

describeWithTools('interop harness', ['turnserver'], () => {
  it('stops the servers that did start when another fails to start', async () => {
    let started: Coturn | undefined;
    const first = startCoturn({ users: ['alice:secret'] }).then((c) => (started = c));
    const failing = Promise.reject(new Error('second server failed'));
    await expect(startServers([first, failing])).rejects.toThrow('second server failed');
    expect(started).toBeDefined();
    await expect(waitForStun(started!.port, 500)).rejects.toThrow(/did not answer/);
  });
});
