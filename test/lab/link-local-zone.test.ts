/**
 * IPv6 link-local addresses with a zone (`fe80::b%eth0`, RFC 4007 §11) on real sockets: two
 * namespaces of the lab joined by a veth (a host and its router), each with a link-local address.
 * natkit's Node adapter binds, connects and sends to scoped addresses, and reports scoped sources,
 * the same with the batched-UDP addon (recvmmsg/sendmmsg, the default on Linux) as with node:dgram.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLab, describeLab, type Lab } from './harness/index.js';

const netUrl = pathToFileURL(resolve(import.meta.dirname, '../../packages/net/dist/index.js')).href;

// ESM under `node --input-type=module -e`, one JSON line per event. Every wait is bounded; the
// bounds are budgets for a loaded machine (the test stops the echo itself), nothing is timed.
const script = String.raw`
const { createNodeNetwork, udpBatchStatus } = await import(${JSON.stringify(netUrl)});
const p = JSON.parse(process.argv[1]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
setTimeout(() => { out({ type: 'deadline' }); process.exit(3); }, 60_000).unref();
const network = createNodeNetwork({ udpBatch: p.udpBatch });
out({ type: 'status', batch: udpBatchStatus().available && p.udpBatch });
let socket;
try {
  socket = await network.bindUdp({ family: 6, address: p.bind, ...(p.connect ? { connect: p.connect } : {}) });
} catch (e) {
  out({ type: 'bind-error', code: e.code, message: e.message });
  process.exit(0);
}
socket.onError((e) => out({ type: 'error', code: e.code, message: e.message }));
if (p.mode === 'echo') {
  socket.onMessage((data, from) => {
    out({ type: 'message', text: Buffer.from(data).toString(), from });
    socket.send(data, from);
  });
  out({ type: 'ready', local: socket.local });
} else {
  const replied = new Promise((done) => socket.onMessage((data, from) => done({ text: Buffer.from(data).toString(), from })));
  const timer = setInterval(() => socket.send(Buffer.from('hello'), p.to), 100);
  socket.send(Buffer.from('hello'), p.to);
  const reply = await Promise.race([replied, new Promise((r) => setTimeout(() => r(null), 10_000))]);
  clearInterval(timer);
  out({ type: 'result', local: socket.local, reply });
  await socket.close();
  process.exit(0);
}
`;

interface Event {
  type: string;
  [key: string]: unknown;
}

const events = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);

const HOST_LL = 'fe80::a';
const ROUTER_LL = 'fe80::b';

describeLab(
  'IPv6 link-local addresses with a zone, batched UDP and dgram alike',
  [],
  () => {
    let lab: Lab<'L'>;
    let host: string;
    let router: string;
    let hostIndex: number;

    beforeAll(async () => {
      lab = await createLab({ sites: { L: { ipv6: 'firewall' } } });
      host = lab.hosts.L.ns;
      router = lab.nat('L').ns;
      // Our own link-local addresses on the host's eth0 and the router's lan0 (one veth), usable at once.
      for (const [ns, dev, address] of [[host, 'eth0', HOST_LL], [router, 'lan0', ROUTER_LL]] as const) {
        const r = await lab.exec(ns, ['ip', '-6', 'addr', 'add', `${address}/64`, 'dev', dev, 'nodad'], { timeoutMs: 5000 });
        expect(r.code, r.stderr).toBe(0);
      }
      const index = await lab.exec(host, ['cat', '/sys/class/net/eth0/ifindex'], { timeoutMs: 5000 });
      hostIndex = Number(index.stdout.trim());
      expect(Number.isInteger(hostIndex) && hostIndex > 0, index.stdout).toBe(true);
    }, 60_000);

    afterAll(async () => {
      await lab?.close();
    });

    /** An echo socket on the router's scoped address; returns what the pinging host saw and the echo heard. */
    async function exchange(udpBatch: boolean, ping: { bind: string; to?: string; connect?: boolean }): Promise<{ echo: Event[]; ping: Event[] }> {
      const echo = await lab.spawn(router, [process.execPath, '--input-type=module', '-e', script, JSON.stringify({ mode: 'echo', udpBatch, bind: `${ROUTER_LL}%lan0` })]);
      try {
        const ready = await echo.waitForOutput(/^\{"type":"ready".*$/m, 30_000);
        const port = (JSON.parse(ready[0]) as { local: { port: number } }).local.port;
        const to = { address: ping.to ?? `${ROUTER_LL}%eth0`, port };
        const params = { mode: 'ping', udpBatch, bind: ping.bind, to, ...(ping.connect === true ? { connect: to } : {}) };
        const run = await lab.exec(host, [process.execPath, '--input-type=module', '-e', script, JSON.stringify(params)], { timeoutMs: 45_000 });
        expect(run.code, run.stdout + run.stderr).toBe(0);
        return { echo: events(echo.stdout), ping: events(run.stdout) };
      } finally {
        await echo.stop({ graceMs: 500 });
      }
    }

    /** What both ends saw, ports left out (they are ephemeral). */
    function observed(r: { echo: Event[]; ping: Event[] }): Record<string, unknown> {
      const ready = r.echo.find((e) => e.type === 'ready') as { local: { address: string } } | undefined;
      const heard = r.echo.find((e) => e.type === 'message') as { from: { address: string }; text: string } | undefined;
      const result = r.ping.find((e) => e.type === 'result') as { local: { address: string }; reply: { from: { address: string }; text: string } | null } | undefined;
      return {
        echoLocal: ready?.local.address,
        echoHeardFrom: heard?.from.address,
        pingLocal: result?.local.address,
        replyFrom: result?.reply?.from.address,
        replyText: result?.reply?.text,
        errors: [...r.echo, ...r.ping].filter((e) => e.type === 'error' || e.type === 'bind-error' || e.type === 'deadline'),
      };
    }

    const scoped = {
      echoLocal: `${ROUTER_LL}%lan0`,
      echoHeardFrom: `${HOST_LL}%lan0`,
      pingLocal: `${HOST_LL}%eth0`,
      replyFrom: `${ROUTER_LL}%eth0`,
      replyText: 'hello',
      errors: [],
    };

    it('binds, sends to and reports scoped link-local addresses (fe80::b%eth0) with the addon exactly as node:dgram does', async () => {
      const batch = await exchange(true, { bind: `${HOST_LL}%eth0` });
      expect(batch.ping.find((e) => e.type === 'status'), 'the batched-UDP addon must be built and in use').toMatchObject({ batch: true });
      expect(observed(batch), JSON.stringify(batch)).toEqual(scoped);
      const dgram = await exchange(false, { bind: `${HOST_LL}%eth0` });
      expect(dgram.ping.find((e) => e.type === 'status')).toMatchObject({ batch: false });
      expect(observed(dgram), JSON.stringify(dgram)).toEqual(scoped);
    });

    it('a connected socket (connect to fe80::b%eth0) and a wildcard socket sending to a scoped address, with the addon and with dgram', async () => {
      for (const udpBatch of [true, false]) {
        const connected = await exchange(udpBatch, { bind: `${HOST_LL}%eth0`, connect: true });
        expect(observed(connected), JSON.stringify(connected)).toEqual(scoped);
        const wildcard = await exchange(udpBatch, { bind: '::' });
        expect(observed(wildcard), JSON.stringify(wildcard)).toEqual({ ...scoped, pingLocal: '::' });
      }
    });

    it('a numeric zone (fe80::b%<ifindex>), with the addon and with dgram', async () => {
      for (const udpBatch of [true, false]) {
        const r = await exchange(udpBatch, { bind: '::', to: `${ROUTER_LL}%${hostIndex}` });
        expect(observed(r), JSON.stringify(r)).toEqual({ ...scoped, pingLocal: '::' });
      }
    });

    it('a zone naming no interface: bind fails with ERR_BIND, with the addon (ENODEV) as with dgram', async () => {
      for (const udpBatch of [true, false]) {
        const params = { mode: 'ping', udpBatch, bind: `${HOST_LL}%nosuch0`, to: { address: ROUTER_LL, port: 9 } };
        const r = await lab.exec(host, [process.execPath, '--input-type=module', '-e', script, JSON.stringify(params)], { timeoutMs: 45_000 });
        const failed = events(r.stdout).find((e) => e.type === 'bind-error');
        expect(failed, r.stdout + r.stderr).toMatchObject({ code: 'ERR_BIND' });
        if (udpBatch) expect(failed?.message).toMatch(/ENODEV/);
      }
    });
  },
  { ipv6: true },
);
