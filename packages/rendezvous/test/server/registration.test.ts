import { describe, expect, it } from 'vitest';
import { CloseCode, type RelayCredentials } from '../../src/index.js';
import { candidatesOf, connectClient, newIdentity, portRestricted, RawClient, signedRegister, startServer } from '../fixtures.js';

describe('registration: no peer id without its key', () => {
  it('a valid signature over the challenge registers; registered carries relay credentials and the observed address', async () => {
    const minted: string[] = [];
    const mint = (peerId: string): RelayCredentials => {
      minted.push(peerId);
      return { username: `1700000600:${peerId}`, password: 'c2VjcmV0', ttl: 600, urls: ['turn:127.0.0.1:3478?transport=udp'] };
    };
    const server = await startServer({}, { mintRelayCredentials: mint });
    const alice = newIdentity();
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    expect(hello).toMatchObject({ version: 2, registerWithinMs: 10_000, heartbeatMs: 15_000, maxMessageBytes: 16_384 });
    expect(Buffer.from(hello.challenge, 'base64url')).toHaveLength(32);
    expect(raw.ws.protocol).toBe('natkit-rendezvous.v2');
    raw.send(signedRegister(alice, hello.challenge));
    const registered = await raw.next('registered');
    const local = (raw.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
    expect(registered).toEqual({
      type: 'registered',
      peerId: alice.peerId,
      observed: { address: '127.0.0.1', port: local },
      relay: { username: `1700000600:${alice.peerId}`, password: 'c2VjcmV0', ttl: 600, urls: ['turn:127.0.0.1:3478?transport=udp'] },
      presenceTtlMs: 45_000,
    });
    expect(minted).toEqual([alice.peerId]);
    expect(server.stats()).toMatchObject({ registered: 1, registrations: 1 });
  });

  it('without a minting function relay is null; a minting function that throws gives null too', async () => {
    const plain = await startServer();
    expect((await (await RawClient.open(plain.url)).register(newIdentity())).relay).toBeNull();
    const broken = await startServer({}, { mintRelayCredentials: () => { throw new Error('no secret'); } });
    expect((await (await RawClient.open(broken.url)).register(newIdentity())).relay).toBeNull();
    const unfit = await startServer({}, { mintRelayCredentials: () => ({ username: 'u', password: 'p', ttl: 600, urls: Array.from({ length: 9 }, () => 'turn:x') }) });
    expect((await (await RawClient.open(unfit.url)).register(newIdentity())).relay).toBeNull();
  });

  it('minted credentials with extra fields go out with the protocol fields only', async () => {
    const extra = { username: '1:nk1', password: 'p', ttl: 600.7, urls: ['turn:127.0.0.1:3478'], secret: 'never sent', realm: 'natkit' };
    const server = await startServer({}, { mintRelayCredentials: () => extra });
    const client = await connectClient(server.url);
    expect(client.relay).toEqual({ username: '1:nk1', password: 'p', ttl: 600, urls: ['turn:127.0.0.1:3478'] });
  });

  it('a bad signature is refused', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    const message = signedRegister(newIdentity(), hello.challenge);
    if (message.type !== 'register') throw new Error('unreachable');
    const bytes = Buffer.from(message.signature, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    raw.send({ ...message, signature: bytes.toString('base64url') });
    expect(await raw.next('error')).toMatchObject({ code: 'bad-signature' });
    expect(server.stats()).toMatchObject({ registered: 0, refused: { 'bad-signature': 1 } });
  });

  it("someone else's peer id is refused (signed with another key)", async () => {
    const server = await startServer();
    const [victim, attacker] = [newIdentity(), newIdentity()];
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    raw.send(signedRegister(victim, hello.challenge, 1, portRestricted, attacker));
    expect(await raw.next('error')).toMatchObject({ code: 'bad-signature' });
    // The victim's id stays free for the victim.
    const owner = await connectClient(server.url, victim);
    expect(owner.peerId).toBe(victim.peerId);
  });

  it('a signature made in another domain (context) is refused', async () => {
    const server = await startServer();
    const alice = newIdentity();
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    const signature = Buffer.from(alice.sign('natkit/other/v1', Buffer.from(hello.challenge, 'base64url'))).toString('base64url');
    raw.send({ type: 'register', peerId: alice.peerId, challenge: hello.challenge, signature, nat: portRestricted, candidates: [] });
    expect(await raw.next('error')).toMatchObject({ code: 'bad-signature' });
  });

  it('a replayed registration (another connection\'s challenge) is refused, and so is a second use of one', async () => {
    const server = await startServer();
    const alice = newIdentity();
    const first = await RawClient.open(server.url);
    const hello = await first.next('hello');
    const captured = signedRegister(alice, hello.challenge);
    first.send(captured);
    await first.next('registered');
    first.send(captured);
    expect(await first.next('error')).toMatchObject({ code: 'stale-challenge' });

    const replay = await RawClient.open(server.url);
    await replay.next('hello');
    replay.send(captured);
    expect(await replay.next('error')).toMatchObject({ code: 'stale-challenge' });
    expect(server.stats().registrations).toBe(1);
  });

  it('a peer id with a bad checksum is invalid-peer-id', async () => {
    const server = await startServer();
    const alice = newIdentity();
    const raw = await RawClient.open(server.url);
    const hello = await raw.next('hello');
    const message = signedRegister(alice, hello.challenge);
    const last = alice.peerId.at(-1) === 'a' ? 'b' : 'a';
    raw.send({ ...message, peerId: alice.peerId.slice(0, -1) + last });
    expect(await raw.next('error')).toMatchObject({ code: 'invalid-peer-id' });
  });

  it('the same peer id twice: the newer session wins, the older is told superseded and closed', async () => {
    const server = await startServer();
    const alice = newIdentity();
    const older = await RawClient.open(server.url);
    await older.register(alice, 1);
    const newer = await RawClient.open(server.url);
    await newer.register(alice, 2);
    expect(await older.next('error')).toMatchObject({ code: 'superseded' });
    expect(await older.closed).toBe(CloseCode.Superseded);
    // Lookups find the newer session's candidates.
    const bob = await connectClient(server.url, newIdentity(), 3);
    newer.answerPings();
    const intro = await bob.connect(alice.peerId);
    expect(intro.peer.candidates).toEqual(candidatesOf(2));
    expect(server.stats()).toMatchObject({ registered: 2, closed: { superseded: 1 } });
  });

  it('a client that offers no version this server speaks gets unsupported-version', async () => {
    const server = await startServer();
    const raw = await RawClient.open(server.url, ['natkit-rendezvous.v99']);
    expect(await raw.next('error')).toMatchObject({ code: 'unsupported-version', supported: [2, 1] });
    expect(await raw.closed).toBe(CloseCode.UnsupportedVersion);
    const bare = await RawClient.open(server.url, []);
    expect(await bare.next('error')).toMatchObject({ code: 'unsupported-version' });
    expect(await bare.closed).toBe(CloseCode.UnsupportedVersion);
  });

  it('no register within the window: registration-timeout, closed', async () => {
    const server = await startServer({ registerWithinMs: 100, tickMs: 20 });
    const raw = await RawClient.open(server.url);
    await raw.next('hello');
    expect(await raw.next('error')).toMatchObject({ code: 'registration-timeout' });
    expect(await raw.closed).toBe(CloseCode.RegistrationTimeout);
  });
});
