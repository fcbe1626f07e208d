import { createNodeNetwork, silentLogger } from '@natkit/net';
import { createRendezvousServer, RENDEZVOUS_PATH } from '@natkit/rendezvous';
import { afterEach, describe, expect, it } from 'vitest';
import { startRendezvousHandoff, type HandoffTarget } from '../src/commands/rendezvous-handoff.js';

/* The primary's side of the --workers rendezvous hand-off, on loopback: only a worker (it knows the token) gets through. */
const network = createNodeNetwork();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function handoff(): Promise<HandoffTarget> {
  const rendezvous = createRendezvousServer();
  const h = await startRendezvousHandoff(rendezvous, network, silentLogger);
  cleanups.push(() => rendezvous.close(), () => h.close());
  return h.target;
}

/** Sends `bytes` on a fresh loopback connection; resolves with what came back once it closed (or after 3 s). */
async function exchange(target: HandoffTarget, bytes: string): Promise<{ reply: string; closed: boolean }> {
  const c = await network.connectTcp({ remote: { address: '127.0.0.1', port: target.port } });
  cleanups.push(() => c.close(0));
  let reply = '';
  c.onData((d) => (reply += Buffer.from(d).toString('latin1')));
  const closed = new Promise<boolean>((r) => {
    c.onClose(() => r(true));
    setTimeout(() => r(false), 3000);
  });
  c.write(Buffer.from(bytes, 'latin1'));
  const wasClosed = await closed;
  return { reply, closed: wasClosed };
}

const GET = `GET ${RENDEZVOUS_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;

describe('rendezvous hand-off (natkit serve --workers)', () => {
  it('passes a connection with the token to the rendezvous (an HTTP answer comes back)', async () => {
    const t = await handoff();
    const r = await exchange(t, `natkit-handoff/1 ${t.token} 192.0.2.1 40000\n${GET}`);
    expect(r.reply).toMatch(/^HTTP\/1\.1 \d{3}/);
  });

  it.each([
    ['a wrong token', (t: HandoffTarget) => `natkit-handoff/1 ${t.token.slice(1)}x 192.0.2.1 40000\n${GET}`],
    ['no header', () => GET],
    ['a bad address', (t: HandoffTarget) => `natkit-handoff/1 ${t.token} not/an/ip 40000\n${GET}`],
    ['a header too long', (t: HandoffTarget) => `natkit-handoff/1 ${t.token} ${'1'.repeat(300)}`],
  ])('closes a connection with %s without an answer', async (_name, bytes) => {
    const t = await handoff();
    const r = await exchange(t, bytes(t));
    expect(r.closed).toBe(true);
    expect(r.reply).toBe('');
  });
});
