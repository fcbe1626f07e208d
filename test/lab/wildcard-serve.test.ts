import { expect, it } from 'vitest';
import type { DiagnosisReport } from '@natkit/stun';
import { createLab, describeLab, findTool, NATKIT_BIN, type Lab } from './harness/index.js';

/*
 * Issue 9, item 2: `natkit serve` on the wildcard answered a request sent to a secondary address
 * from the primary one. Now each local address has its own socket. A connected UDP socket (as
 * many clients use) drops an answer from any other address, so these probes see an answer only
 * when it comes from the address they asked.
 */
const connectedProbe = String.raw`
const dgram = require('node:dgram');
const crypto = require('node:crypto');
const targets = JSON.parse(process.argv[1]);
setTimeout(() => process.exit(3), 8000).unref();
Promise.all(targets.map((t) => new Promise((resolve) => {
  const s = dgram.createSocket(t.address.includes(':') ? 'udp6' : 'udp4');
  const req = Buffer.alloc(20);
  req.writeUInt16BE(1, 0); req.writeUInt32BE(0x2112a442, 4); crypto.randomFillSync(req, 8, 12);
  let tries = 0, timer;
  const done = (ok) => { clearInterval(timer); s.close(); resolve(ok); };
  s.on('error', () => {});
  s.on('message', (m, rinfo) => done(m.subarray(8, 20).equals(req.subarray(8, 20)) && rinfo.address === t.address));
  s.connect(t.port, t.address, () => {
    const send = () => (++tries > 4 ? done(false) : s.send(req));
    send();
    timer = setInterval(send, 250);
  });
}))).then((r) => process.stdout.write(JSON.stringify(r)));
`;

async function answeredFrom(lab: Lab, ns: string, targets: { address: string; port: number }[]): Promise<boolean[]> {
  const r = await lab.exec(ns, [process.execPath, '-e', connectedProbe, JSON.stringify(targets)], { timeoutMs: 15_000 });
  return JSON.parse(r.stdout || 'null') as boolean[];
}

async function waitUntil(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

describeLab('natkit serve on the wildcard', [], () => {
  it('answers each address from that address, IPv4 and IPv6, and follows addresses that come and go', async () => {
    await using lab = await createLab({ sites: { A: { behavior: 'port-restricted-cone', ipv6: 'firewall' } } });
    const ip = findTool('ip')!;
    const inet = lab.ns.inet;
    // Secondary addresses: 127.0.0.2 and an IPv6 address beside ::1 on lo, two addresses on br0.
    for (const argv of [
      [ip, 'addr', 'add', '127.0.0.2/8', 'dev', 'lo'],
      [ip, '-6', 'addr', 'add', '2001:db8:ffff::9/128', 'dev', 'lo', 'nodad'],
    ]) {
      const r = await lab.exec(inet, argv);
      expect(r.code, r.stderr).toBe(0);
    }
    const v4 = await lab.spawn(inet, [process.execPath, NATKIT_BIN, 'serve', '--port', '3478']);
    const v6 = await lab.spawn(inet, [process.execPath, NATKIT_BIN, 'serve', '--address', '::', '--port', '3478']);
    await v4.waitForOutput(/on UDP/, 10_000);
    await v6.waitForOutput(/on UDP/, 10_000);
    expect(v4.stdout).toContain('127.0.0.2:3478');
    expect(v6.stdout).toContain('[2001:db8:ffff::9]:3478');

    const local = ['127.0.0.1', '127.0.0.2', '203.0.113.1', '203.0.113.2', '::1', '2001:db8:ffff::9', '2001:db8::2'];
    expect(await answeredFrom(lab, inet, local.map((address) => ({ address, port: 3478 })))).toEqual(local.map(() => true));
    const remote = ['203.0.113.2', '2001:db8::2', '2001:db8::1'];
    expect(await answeredFrom(lab, lab.hosts.A.ns, remote.map((address) => ({ address, port: 3478 })))).toEqual(remote.map(() => true));

    // natkit's own diagnosis against the secondary address (it reported "UDP blocked" before).
    const d = await lab.exec(inet, [process.execPath, NATKIT_BIN, 'diagnose', '--server', '127.0.0.2', '--json', '--ipv4'], { timeoutMs: 20_000 });
    const report = JSON.parse(d.stdout) as DiagnosisReport;
    expect(report.ipv4?.udp, d.stdout).toBe(true);
    expect(report.ipv4?.mappedAddress?.address).toBe('127.0.0.1');

    // An address added later is served within the refresh interval (5 s); one removed is let go.
    await lab.exec(inet, [ip, 'addr', 'add', '127.0.0.3/8', 'dev', 'lo']);
    const three = [{ address: '127.0.0.3', port: 3478 }];
    expect(await waitUntil(async () => (await answeredFrom(lab, inet, three))[0] === true, 12_000)).toBe(true);
    await lab.exec(inet, [ip, 'addr', 'del', '127.0.0.3/8', 'dev', 'lo']);
    await v4.waitForOutput(/address gone: closing its socket/, 12_000);
    expect(await answeredFrom(lab, inet, three)).toEqual([false]);
    await Promise.all([v4.stop({ graceMs: 2000 }), v6.stop({ graceMs: 2000 })]);
  });
});
