import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/natkit.js');

function run(args: readonly string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, err })));
}

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
    const r = await run(['--address', '127.0.0.1', '--port', '0', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('answers plain HTTP with the rendezvous (426, 404 off its path), closes garbage, and still serves TURN on the same TCP port', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn', '--user', 'a:b'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let out = '';
      const port = await new Promise<number>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no TCP line: ${out}`)), 10_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /TURN on TCP 127\.0\.0\.1:(\d+)/.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            ok(Number(m[1]));
          }
        });
      });
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
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
