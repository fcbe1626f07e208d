import { createNodeNetwork } from '@natkit/net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { allocateRelay, TurnClientError } from '@natkit/turn';
import { main } from '../../apps/cli/src/main.js';
import { certificateUnavailable, makeSelfSignedCertificate, type TestCertificate } from '../../packages/net/test/self-signed-cert.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, freePort, startCoturn, type Coturn } from './turn-client-coturn.js';
import { expectRelayBothWays } from './turn-client-echo.js';
import { startNatkitServe, type NatkitServe } from './turn-client-natkit.js';

/* TURN over TLS (RFC 8656 §3.1) from natkit's client to coturn, with a throwaway certificate. */
const alice = { username: 'alice', password: 'secret' };

describeWithTools('TURN client over TLS against coturn', ['turnserver', 'openssl'], () => {
  let coturn: Coturn;
  let cert: TestCertificate;
  beforeAll(async () => {
    const why = certificateUnavailable();
    if (why !== undefined) throw new Error(why);
    cert = makeSelfSignedCertificate();
    coturn = await startCoturn({ users: ['alice:secret'], tls: cert });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  it('relays both ways over TLS when the certificate is trusted (ca)', async () => {
    const facts = await expectRelayBothWays({ address: '127.0.0.1', port: coturn.tlsPort! }, alice, 'tls', true, { ca: cert.cert });
    expect(facts.software).toMatch(/Coturn/);
  });

  it('refuses an untrusted certificate ("no answer": the TLS connection fails)', async () => {
    const e = await allocateRelay({ server: { address: '127.0.0.1', port: coturn.tlsPort! }, credentials: alice, transport: 'tls' }, { network: createNodeNetwork() }).catch((x: unknown) => x);
    expect((e as TurnClientError).code).toBe('ERR_TURN_TIMEOUT');
    expect((e as TurnClientError).message).toMatch(/cannot connect to the TURN server over TLS/);
  });

  it('relay-check --transport tls --insecure relays to itself', async () => {
    let out = '';
    const code = await main(
      ['node', 'natkit', 'relay-check', '--server', `127.0.0.1:${coturn.tlsPort!}`, '--user', 'alice:secret', '--transport', 'tls', '--insecure', '--json'],
      { stdout: (s) => void (out += s), stderr: (s) => void (out += s), stderrIsTty: false },
    );
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true, transport: 'tls', echoes: { received: 5 } });
  });
});

describeWithTools('TURN client over TLS against natkit serve', ['openssl'], () => {
  let serve: NatkitServe;
  let cert: TestCertificate;
  let dir: string;
  let tlsPort: number;
  beforeAll(async () => {
    const why = certificateUnavailable();
    if (why !== undefined) throw new Error(why);
    cert = makeSelfSignedCertificate();
    dir = await mkdtemp(join(tmpdir(), 'natkit-tls-'));
    await writeFile(join(dir, 'cert.pem'), cert.cert);
    await writeFile(join(dir, 'key.pem'), cert.key);
    tlsPort = await freePort();
    serve = await startNatkitServe({
      users: ['alice:secret'],
      extraArgs: ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--tls-port', String(tlsPort)],
    });
  });
  afterAll(async () => {
    await serve?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('relays both ways over TLS on --tls-port and on the main port (TLS sniffed there)', async () => {
    for (const port of [tlsPort, serve.port]) {
      const facts = await expectRelayBothWays({ address: '127.0.0.1', port }, alice, 'tls', true, { ca: cert.cert });
      expect(facts.software).toMatch(/natkit/);
      expect(facts.integritySha256).toBe(true);
    }
  });
});
