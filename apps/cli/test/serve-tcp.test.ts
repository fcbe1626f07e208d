import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runNatkit, spawnNatkit, START_BUDGET_MS, stopNatkit, waitForOutput } from './natkit-process.js';

/** A test with one natkit process (start-up bounded by START_BUDGET_MS) takes at most this long. */
const TEST_MS = START_BUDGET_MS + 20_000;

/** Sends `bytes` on a fresh TCP connection and collects what comes back until the server closes it. */
function exchange(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((done, fail) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new Error(`not closed within 10 s; got ${JSON.stringify(text)}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      done(text);
    });
    socket.write(bytes);
  });
}

describe('natkit serve: the TCP side of the one port', () => {
  it.each([
    [['--tls-cert', '/nonexistent/cert.pem'], /TLS needs both --tls-cert FILE and --tls-key FILE/],
    [['--tls-port', '5349'], /--tls-port needs --tls-cert and --tls-key/],
    [['--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'], /--tls-cert: cannot read \/nonexistent\/c.pem \(ENOENT\)/],
  ])('refuses %j with exit code 2', async (args, message) => {
    const r = await runNatkit(['serve', '--address', '127.0.0.1', '--port', '0', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  }, TEST_MS);

  it('answers plain HTTP with the rendezvous (426, 404 off its path), closes garbage, and still serves TURN on the same TCP port', async () => {
    const serve = spawnNatkit(['serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--user', 'a:b']);
    try {
      const port = Number((await waitForOutput(serve, /TURN on TCP 127\.0\.0\.1:(\d+)/))[1]);
      const out = serve.out();
      expect(out).toMatch(new RegExp(`TURN relay \\(RFC 8656\\) on UDP 127\\.0\\.0\\.1:${port}`)); // one port number for both
      expect(await exchange(port, Buffer.from('GET /rendezvous HTTP/1.1\r\nHost: x\r\n\r\n'))).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
      expect(await exchange(port, Buffer.from('GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'))).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(await exchange(port, Uint8Array.of(0x80, 0x00, 0x01, 0x02))).toBe('');
      expect(await exchange(port, Uint8Array.of(0x00, 0x03, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef))).toBe(''); // STUN-like, no magic cookie
      // An unauthenticated Allocate over TCP: a 401 (0x0113) comes back, then we hang up.
      const allocate = Uint8Array.of(0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, ...new Array<number>(12).fill(7), 0x00, 0x19, 0x00, 0x04, 17, 0, 0, 0);
      const answer = await new Promise<Buffer>((ok, fail) => {
        const socket = connect({ host: '127.0.0.1', port });
        const timer = setTimeout(() => fail(new Error('no answer')), 10_000);
        socket.once('data', (d: Buffer) => {
          clearTimeout(timer);
          socket.destroy();
          ok(d);
        });
        socket.on('error', fail);
        socket.write(allocate);
      });
      expect(answer.readUInt16BE(0)).toBe(0x0113);
    } finally {
      await stopNatkit(serve);
    }
    expect(await serve.exited).toBe(0);
  }, TEST_MS);
});
