import { createNodeNetwork } from '@natkit/net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { allocateRelay, restCredentials, TurnClientError } from '@natkit/turn';
import { main } from '../../apps/cli/src/main.js';
import { describeWithTools, startServers } from './turn-client-coturn.js';
import { expectRelayBothWays } from './turn-client-echo.js';
import { startNatkitServe, type NatkitServe } from './turn-client-natkit.js';

/*
 * natkit's TURN client (library and relay-check) against `natkit serve`, exactly as against coturn;
 * natkit's server also offers RFC 8489 SHA-256 integrity and USERHASH, which coturn lacks.
 */
const network = createNodeNetwork();
const alice = { username: 'alice', password: 'secret' };
const secret = 'natkit-serve-secret';

async function relayCheck(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['node', 'natkit', 'relay-check', ...args], { stdout: (s) => void (out += s), stderr: (s) => void (out += s), stderrIsTty: false });
  return { code, out };
}

describeWithTools('TURN client against natkit serve', [], () => {
  let serve: NatkitServe;
  let strict: NatkitServe;
  const at = (s: NatkitServe) => ({ address: '127.0.0.1', port: s.port });
  beforeAll(async () => {
    [serve, strict] = await startServers([
      startNatkitServe({ users: ['alice:secret'], authSecrets: [secret] }),
      startNatkitServe({ users: ['alice:secret'], allowLoopbackPeers: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([serve?.stop(), strict?.stop()]);
  });

  // Payloads of 6 bytes: over TCP the ChannelData padding must be handled on both sides.
  const cases = [['udp', true], ['udp', false], ['tcp', true], ['tcp', false]] as const;
  for (const [transport, channels] of cases) {
    const path = channels ? 'ChannelData' : 'Send/Data indications';
    it(`relays both ways over ${transport.toUpperCase()} with ${path}`, async () => {
      const facts = await expectRelayBothWays(at(serve), alice, transport, channels);
      expect(facts.software).toMatch(/natkit/);
    });
    it(`relays both ways over ${transport.toUpperCase()} with ${path} and REST credentials`, async () => {
      const credentials = restCredentials({ secret, user: 'bob', nowSeconds: Date.now() / 1000 });
      await expectRelayBothWays(at(serve), credentials, transport, channels);
    });
  }

  it('says "wrong credentials" for a wrong password and for a REST user name made with another secret', async () => {
    for (const credentials of [{ username: 'alice', password: 'nope' }, restCredentials({ secret: 'other', user: 'bob', nowSeconds: Date.now() / 1000 })]) {
      const e = await allocateRelay({ server: at(serve), credentials }, { network }).catch((x: unknown) => x);
      expect((e as TurnClientError).code).toBe('ERR_TURN_AUTH');
    }
  });

  it('negotiates SHA-256 (PASSWORD-ALGORITHMS, MESSAGE-INTEGRITY-SHA256), with USERHASH only where no REST secret is set', async () => {
    for (const [s, userhash] of [[serve, false], [strict, true]] as const) {
      const a = await allocateRelay({ server: at(s), credentials: alice }, { network });
      expect(a.integritySha256).toBe(true);
      expect(a.userhash).toBe(userhash);
      await a.socket.close();
    }
  });

  it('is refused a loopback peer without --allow-peer (403, "forbidden")', async () => {
    const a = await allocateRelay({ server: at(strict), credentials: alice }, { network });
    try {
      const e = await a.socket.permit([{ address: '127.0.0.1', port: 9 }]).catch((x: unknown) => x);
      expect((e as TurnClientError).code).toBe('ERR_TURN_FORBIDDEN');
    } finally {
      await a.socket.close();
    }
  });

  it('relay-check --json reports ok, an RTT, SHA-256 integrity and TCP', async () => {
    const r = await relayCheck(['--server', `127.0.0.1:${serve.port}`, '--user', 'alice:secret', '--json']);
    const report = JSON.parse(r.out) as { ok: boolean; rttMs: number; software: string; supports: Record<string, unknown>; echoes: { received: number } };
    expect(r.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.rttMs).toBeGreaterThan(0);
    expect(report.echoes.received).toBe(5);
    expect(report.software).toMatch(/natkit/);
    expect(report.supports).toMatchObject({ sha256Integrity: true, userhash: false, tcp: true });
  });

  it('relay-check works with --auth-secret and says why it fails with a wrong one', async () => {
    expect((await relayCheck(['--server', `127.0.0.1:${serve.port}`, '--auth-secret', secret])).code).toBe(0);
    const bad = await relayCheck(['--server', `127.0.0.1:${serve.port}`, '--auth-secret', 'wrong']);
    expect(bad.code).toBe(5);
    expect(bad.out).toMatch(/wrong credentials/);
  });

  it('relay-check says "forbidden" when the server refuses loopback peers', async () => {
    const r = await relayCheck(['--server', `127.0.0.1:${strict.port}`, '--user', 'alice:secret']);
    expect(r.code).toBe(5);
    expect(r.out).toMatch(/forbidden/);
  });
});

describeWithTools('TURN client against natkit serve with an IPv6 relay address', [], () => {
  let serve: NatkitServe;
  beforeAll(async () => {
    serve = await startNatkitServe({ users: ['alice:secret'], extraArgs: ['--relay-address', '::1', '--allow-peer', '::1/128'] });
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('allocates an IPv6 relayed address over IPv4 (REQUESTED-ADDRESS-FAMILY) and relays to an IPv6 peer', async () => {
    const peer = await network.bindUdp({ family: 6, address: '::1' });
    peer.onMessage((d, from) => peer.send(d, from));
    const a = await allocateRelay({ server: { address: '127.0.0.1', port: serve.port }, credentials: alice, family: 6 }, { network });
    try {
      expect(a.relayed.address).toBe('::1');
      expect(a.socket.family).toBe(6);
      const back = new Promise<string>((resolve) => a.socket.onMessage((d) => resolve(Buffer.from(d).toString())));
      a.socket.send(Buffer.from('v6 round trip'), peer.local);
      expect(await back).toBe('v6 round trip');
    } finally {
      await a.socket.close();
      await peer.close();
    }
  });

  it('relay-check against an IPv6-only natkit serve ([::1]): 440 to the IPv4 default, then an IPv6 allocation', async () => {
    const v6 = await startNatkitServe({ users: ['alice:secret'], address: '::1', extraArgs: ['--allow-peer', '::1/128'] });
    try {
      for (const transport of ['udp', 'tcp']) {
        const r = await relayCheck(['--server', `[::1]:${v6.port}`, '--user', 'alice:secret', '--transport', transport, '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out)).toMatchObject({ ok: true, relayedAddress: expect.stringMatching(/^\[::1\]:\d+$/), echoes: { received: 5 } });
      }
    } finally {
      await v6.stop();
    }
  });

  it('relay-check reports IPv6 relaying supported', async () => {
    const r = await relayCheck(['--server', `127.0.0.1:${serve.port}`, '--user', 'alice:secret', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { supports: { ipv6: boolean } }).supports.ipv6).toBe(true);
  });
}, { ipv6: true });

describeWithTools('relay-check against a natkit serve at its allocation quota', [], () => {
  let serve: NatkitServe;
  beforeAll(async () => {
    serve = await startNatkitServe({ users: ['alice:secret'], extraArgs: ['--user-quota', '1'] });
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('says "relay refused" with the 486 when the user already holds its one allocation', async () => {
    const held = await allocateRelay({ server: { address: '127.0.0.1', port: serve.port }, credentials: alice }, { network });
    try {
      const r = await relayCheck(['--server', `127.0.0.1:${serve.port}`, '--user', 'alice:secret', '--json']);
      expect(r.code).toBe(5);
      const report = JSON.parse(r.out) as { ok: boolean; error: { code: string; status: number; message: string } };
      expect(report.ok).toBe(false);
      expect(report.error).toMatchObject({ code: 'ERR_TURN_REFUSED', status: 486 });
      expect(report.error.message).toMatch(/^relay refused: Allocate: 486/);
    } finally {
      await held.socket.close();
    }
  });
});
