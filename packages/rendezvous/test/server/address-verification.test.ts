import { afterEach, describe, expect, it } from 'vitest';
import { createNodeNetwork, type Family, type UdpSocket } from '@natkit/net';
import { createTransactionId, decodeMessage, encodeMessage, StunMethod } from '@natkit/stun';
import { addressTokenAttribute, readAddressProof, type AddressVerified, type Introduction, type RendezvousClient } from '../../src/index.js';
import { connectClient, newIdentity, RawClient, signedRegister, startServer } from '../fixtures.js';

const network = createNodeNetwork();
/** Every socket a test binds, closed after it. */
const sockets: UdpSocket[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

async function bound(family: Family): Promise<UdpSocket> {
  const s = await network.bindUdp({ family, address: family === 6 ? '::1' : '127.0.0.1', port: 0 });
  sockets.push(s);
  return s;
}

/** A server watching a UDP socket of each family in `families`. */
async function serverWith(families: readonly Family[]): Promise<{ server: Awaited<ReturnType<typeof startServer>>; udp: Map<Family, UdpSocket> }> {
  const server = await startServer();
  const udp = new Map<Family, UdpSocket>();
  for (const f of families) {
    const s = await bound(f);
    server.attachUdpSocket(s);
    udp.set(f, s);
  }
  return { server, udp };
}

function bindingWith(token: string, peerId: string): Uint8Array {
  return encodeMessage(
    { method: StunMethod.Binding, class: 'request', transactionId: createTransactionId(), attributes: [addressTokenAttribute(new Uint8Array(Buffer.from(token, 'base64url')), peerId)] },
    { fingerprint: true },
  );
}

/** Waits (bounded) until `check` holds; the server handles the datagram asynchronously. */
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

/**
 * Returns (as the peer library does) the ADDRESS-PROOF each Binding indication brings to
 * `socket`, over `client`'s WebSocket; `proofs` counts them.
 */
function answerProofs(socket: UdpSocket, client: RendezvousClient, family: Family = 6): { proofs: number } {
  const seen = { proofs: 0 };
  socket.onMessage((data) => {
    const decoded = decodeMessage(data);
    const proof = decoded.ok && decoded.value.class === 'indication' ? readAddressProof(decoded.value) : undefined;
    if (proof === undefined) return;
    seen.proofs++;
    client.proveAddress(family === 6 ? 6 : 4, proof);
  });
  return seen;
}

function nextVerified(client: RendezvousClient): Promise<AddressVerified> {
  return new Promise((resolve) => client.on('address-verified', resolve));
}

describe('address verification (protocol v2): a UDP address is bound to a peer only by a token it got over its WebSocket', () => {
  it("binds the source of the token's Binding, tells the peer, and later introductions carry it", async () => {
    const { server, udp } = await serverWith([6]);
    const udp6 = udp.get(6)!;
    const [alice, bob] = [await connectClient(server.url, newIdentity(), 1), await connectClient(server.url, newIdentity(), 2)];
    expect(alice.version).toBe(2);
    const mine = await bound(6);
    answerProofs(mine, alice);
    const { token, expiresInMs, family } = await alice.requestAddressToken(6);
    expect({ family, expiresInMs }).toEqual({ family: 6, expiresInMs: 10_000 });
    const verified = nextVerified(alice);
    mine.send(bindingWith(token, alice.peerId), udp6.local);
    expect(await verified).toEqual({ type: 'address-verified', family: 6, observed: { address: '::1', port: mine.local.port } });
    const atBob = new Promise<Introduction>((resolve) => bob.on('introduce', resolve));
    const atAlice = await alice.connect(bob.peerId);
    expect((await atBob).peer.verified).toEqual([{ address: '::1', port: mine.local.port }]);
    expect(atAlice.peer.verified).toBeUndefined();
    expect(server.stats().addressesVerified).toBe(1);
  });

  it('refuses a token it never issued, a token from the other family, a token used twice and a token another peer presents', async () => {
    const { server, udp } = await serverWith([4, 6]);
    const [udp4, udp6] = [udp.get(4)!, udp.get(6)!];
    const [alice, bob] = [await connectClient(server.url, newIdentity(), 1), await connectClient(server.url, newIdentity(), 2)];
    let events = 0;
    for (const c of [alice, bob]) c.on('address-verified', () => events++);
    const [v4, v6] = [await bound(4), await bound(6)];
    answerProofs(v6, alice);
    const refused = (): Record<string, number> => server.stats().addressTokensRefused;

    v6.send(bindingWith(Buffer.alloc(16, 7).toString('base64url'), alice.peerId), udp6.local);
    await until(() => refused().unknown === 1);
    const forSix = await alice.requestAddressToken(6);
    v4.send(bindingWith(forSix.token, alice.peerId), udp4.local);
    await until(() => refused()['wrong-family'] === 1);
    const aliceToken = await alice.requestAddressToken(6);
    v6.send(bindingWith(aliceToken.token, bob.peerId), udp6.local);
    await until(() => refused()['wrong-peer'] === 1);
    const once = await alice.requestAddressToken(6);
    const verified = nextVerified(alice);
    v6.send(bindingWith(once.token, alice.peerId), udp6.local);
    await verified;
    v6.send(bindingWith(once.token, alice.peerId), udp6.local);
    await until(() => refused().unknown === 2);

    expect(refused()).toEqual({ unknown: 2, 'wrong-family': 1, 'wrong-peer': 1 });
    expect(server.stats().addressesVerified).toBe(1);
    expect(events).toBe(1);
    const atBob = new Promise<Introduction>((resolve) => bob.on('introduce', resolve));
    await alice.connect(bob.peerId);
    expect((await atBob).peer.verified).toEqual([{ address: '::1', port: v6.local.port }]);
  });

  it('return routability: a token whose proof never comes back over the WebSocket, or comes back wrong, binds nothing', async () => {
    const { server, udp } = await serverWith([6]);
    const udp6 = udp.get(6)!;
    const alice = await connectClient(server.url);
    let events = 0;
    alice.on('address-verified', () => events++);
    // A sender that spoofs alice's source would never see the proof: here nobody returns it.
    const silent = await bound(6);
    const indications: number[] = [];
    silent.onMessage((d) => indications.push(d.length));
    const first = await alice.requestAddressToken(6);
    silent.send(bindingWith(first.token, alice.peerId), udp6.local);
    await until(() => indications.length > 0);
    expect(indications.length).toBeGreaterThan(0);
    // A wrong proof is refused and uses the pending one up.
    alice.proveAddress(6, new Uint8Array(16).fill(9));
    await until(() => server.stats().addressTokensRefused['wrong-proof'] === 1);
    alice.proveAddress(6, new Uint8Array(16).fill(9));
    await until(() => server.stats().addressTokensRefused['no-proof-pending'] === 1);
    expect(server.stats().addressTokensRefused).toEqual({ 'wrong-proof': 1, 'no-proof-pending': 1 });
    expect(server.stats().addressesVerified).toBe(0);
    expect(events).toBe(0);
  });

  it('a family without an attached UDP socket is refused with address-unverifiable; a detached socket verifies nothing', async () => {
    const server = await startServer();
    const alice = await connectClient(server.url);
    await expect(alice.requestAddressToken(6)).rejects.toMatchObject({ code: 'address-unverifiable' });
    const udp6 = await bound(6);
    const detach = server.attachUdpSocket(udp6);
    const { token } = await alice.requestAddressToken(6);
    detach();
    detach();
    const mine = await bound(6);
    mine.send(bindingWith(token, alice.peerId), udp6.local);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.stats().addressesVerified).toBe(0);
    await expect(alice.requestAddressToken(6)).rejects.toMatchObject({ code: 'address-unverifiable' });
  });

  it('an update keeps a verified address only while a candidate still has its IP', async () => {
    const { server, udp } = await serverWith([6]);
    const udp6 = udp.get(6)!;
    const [alice, bob] = [await connectClient(server.url, newIdentity(), 1), await connectClient(server.url, newIdentity(), 2)];
    const mine = await bound(6);
    answerProofs(mine, alice);
    const { token } = await alice.requestAddressToken(6);
    const verified = nextVerified(alice);
    mine.send(bindingWith(token, alice.peerId), udp6.local);
    await verified;
    const introOf = async (): Promise<Introduction> => {
      let off = (): void => {};
      const atBob = new Promise<Introduction>((resolve) => (off = bob.on('introduce', resolve)));
      await alice.connect(bob.peerId);
      const intro = await atBob;
      off();
      return intro;
    };
    alice.update({ ipv4: null, ipv6: null }, [{ type: 'srflx', address: '::1', port: mine.local.port }]);
    expect((await introOf()).peer.verified).toEqual([{ address: '::1', port: mine.local.port }]);
    alice.update({ ipv4: null, ipv6: null }, [{ type: 'srflx', address: '2001:db8::99', port: 4000 }]);
    expect((await introOf()).peer.verified).toBeUndefined();
  });
});

describe('protocol v1 sessions next to v2', () => {
  it('a v1 client registers as before, gets no verify-address, and its introductions carry no verified field', async () => {
    const { server, udp } = await serverWith([6]);
    const udp6 = udp.get(6)!;
    const alice = await connectClient(server.url, newIdentity(), 1);
    const mine = await bound(6);
    answerProofs(mine, alice);
    const { token } = await alice.requestAddressToken(6);
    const verified = nextVerified(alice);
    mine.send(bindingWith(token, alice.peerId), udp6.local);
    await verified;
    const old = await RawClient.open(server.url, ['natkit-rendezvous.v1']);
    expect(old.ws.protocol).toBe('natkit-rendezvous.v1');
    const hello = await old.next('hello');
    expect(hello.version).toBe(1);
    const identity = newIdentity();
    old.send(signedRegister(identity, hello.challenge, 3));
    await old.next('registered');
    old.send({ type: 'verify-address', requestId: 'r1', family: 6 });
    expect(await old.next('error')).toMatchObject({ code: 'unknown-type', requestId: 'r1' });
    old.send({ type: 'connect', requestId: 'r2', to: alice.peerId });
    const intro = await old.next('introduce');
    expect(intro.peer.peerId).toBe(alice.peerId);
    expect('verified' in intro.peer).toBe(false);
  });
});
