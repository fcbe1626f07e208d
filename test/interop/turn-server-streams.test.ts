import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeSelfSignedCertificate } from '../../packages/net/test/self-signed-cert.js';
import { describeInterop, findTool } from '../lab/harness/index.js';

/*
 * TURN over TCP and TLS in `natkit serve` against coturn's turnutils_uclient (-t, -S), with
 * turnutils_peer as the UDP echo peer, all on loopback. Pass: exit 0 and "Total lost packets 0".
 */
const BIN = resolve(import.meta.dirname, '../../apps/cli/bin/natkit.js');
const UCLIENT = findTool('turnutils_uclient') ?? 'turnutils_uclient';
const PEER = findTool('turnutils_peer') ?? 'turnutils_peer';
const user = { name: 'alice', password: 'interop-secret' };

interface ToolRun {
  code: number | null;
  out: string;
}

function runTool(file: string, args: readonly string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((done) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, out: stdout + stderr });
    });
  });
}

/** A UDP port free right now on 127.0.0.1 (turnutils_peer wants a number). */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function waitFor(child: ChildProcess, re: RegExp, what: string, ms = 15_000): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what}: no ${String(re)} in ${ms} ms:\n${out}`)), ms);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = re.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        ok(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

describeInterop('TURN over TCP and TLS: natkit serve with coturn turnutils_uclient', { tools: ['turnutils_uclient', 'turnutils_peer', 'openssl'] }, () => {
  const children: ChildProcess[] = [];
  let dir = '';
  let tcpPort = 0;
  let tlsPort = 0;
  let peerPort = 0;
  let certPath = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'natkit-turn-tls-'));
    const cert = makeSelfSignedCertificate();
    certPath = join(dir, 'cert.pem');
    await writeFile(certPath, cert.cert);
    await writeFile(join(dir, 'key.pem'), cert.key, { mode: 0o600 });
    peerPort = await freeUdpPort();
    const peer = spawn(PEER, ['-L', '127.0.0.1', '-p', String(peerPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(peer);
    const serve = spawn(
      process.execPath,
      [
        BIN, 'serve', '--address', '127.0.0.1', '--port', '0', '--log-level', 'warn',
        '--user', `${user.name}:${user.password}`, '--allow-peer', '127.0.0.1/32', '--rfc5766-channel-numbers',
        '--tls-cert', certPath, '--tls-key', join(dir, 'key.pem'), '--tls-port', '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(serve);
    const tls = waitFor(serve, /TURN on TLS 127\.0\.0\.1:(\d+)/, 'natkit serve');
    const tcp = waitFor(serve, /TURN on TCP 127\.0\.0\.1:(\d+)/, 'natkit serve');
    tlsPort = Number((await tls)[1]);
    tcpPort = Number((await tcp)[1]);
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGTERM');
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const common = (): string[] => ['-e', '127.0.0.1', '-r', String(peerPort), '-X', '-u', user.name, '-w', user.password];

  it.each([
    ['ChannelData, RTP/RTCP pairs (EVEN-PORT)', ['-n', '100', '-m', '4', '-l', '120']],
    ['Send/Data indications', ['-s', '-n', '100', '-m', '2', '-l', '120']],
    ['1200-byte payloads, DONT-FRAGMENT, padding', ['-D', '-g', '-n', '50', '-m', '2', '-l', '1200']],
    ['relay to relay (-y), 171-byte payloads (ChannelData padded on the stream)', ['-y', '-c', '-n', '100', '-m', '2', '-l', '171']],
  ])('TCP (-t): %s, no packet lost', async (_name, args) => {
    const r = await runTool(UCLIENT, ['-t', '-p', String(tcpPort), ...common(), ...args, '127.0.0.1']);
    expect(r.out, r.out.slice(-2000)).toMatch(/Total lost packets 0 \(0\.000000%\)/);
    expect(r.code, r.out.slice(-2000)).toBe(0);
  });

  it('TLS (-S) on the TLS port, certificate verified (-E), no packet lost', async () => {
    const r = await runTool(UCLIENT, ['-t', '-S', '-E', certPath, '-p', String(tlsPort), ...common(), '-n', '100', '-m', '2', '-l', '120', '127.0.0.1']);
    expect(r.out, r.out.slice(-2000)).toMatch(/Total lost packets 0 \(0\.000000%\)/);
    expect(r.code, r.out.slice(-2000)).toBe(0);
  });

  it('TLS (-S) on the main port too: the first byte tells TLS from plain TURN', async () => {
    const r = await runTool(UCLIENT, ['-t', '-S', '-p', String(tcpPort), ...common(), '-n', '50', '-m', '1', '-l', '120', '127.0.0.1']);
    expect(r.out, r.out.slice(-2000)).toMatch(/Total lost packets 0 \(0\.000000%\)/);
    expect(r.code, r.out.slice(-2000)).toBe(0);
  });

  it('TCP with a wrong password gets no allocation', async () => {
    // uclient 4.6.1 retries a 401 for ever (over UDP too), so it is stopped after 10 s.
    const args = ['-t', '-v', '-p', String(tcpPort), '-e', '127.0.0.1', '-r', String(peerPort), '-X', '-u', user.name, '-w', 'wrong', '-n', '5', '127.0.0.1'];
    const r = await runTool(UCLIENT, args, 10_000);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/allocate response received/);
    expect(r.out).not.toMatch(/Received relay addr/);
  });
});
