import { randomBytes } from 'node:crypto';
import { Identity } from '@natkit/identity';
import { WebSocket } from 'ws';
import { afterEach } from 'vitest';
import {
  connectRendezvous,
  decodeServerMessage,
  encodeMessage,
  SUBPROTOCOL,
  startRendezvousServer,
  type Candidate,
  type ClientMessage,
  type NatProfile,
  type RendezvousClient,
  type RendezvousClientComponents,
  type RendezvousServerComponents,
  type ServerMessage,
  type StandaloneOptions,
  type StandaloneRendezvousServer,
} from '../src/index.js';

export const portRestricted: NatProfile = {
  ipv4: {
    udp: true,
    mapping: 'endpoint-independent',
    filtering: 'address-and-port-dependent',
    allocation: { pattern: 'preserving', step: null },
    hairpinning: false,
    mappingLifetimeSeconds: 30,
  },
  ipv6: null,
};

export const symmetricSequential: NatProfile = {
  ipv4: {
    udp: true,
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
    allocation: { pattern: 'sequential', step: 256 },
    hairpinning: null,
    mappingLifetimeSeconds: null,
  },
  ipv6: null,
};

/** Candidates of every kind, told apart by `base` (documentation addresses, RFC 5737). */
export function candidatesOf(base: number): Candidate[] {
  return [
    { type: 'host', address: `192.168.${base}.10`, port: 40_000 + base },
    { type: 'srflx', address: `203.0.113.${base}`, port: 50_000 + base },
    { type: 'predicted', address: `203.0.113.${base}`, port: 50_256 + base },
    { type: 'relay', address: '198.51.100.1', port: 60_000 + base },
  ];
}

/**
 * A fresh identity from a random seed. Not Identity.generate(): on Node 20.20.2 a GC during the
 * Identity constructor's JWK export can run the weak callback of an earlier generateKeyPairSync
 * job, which takes the key mutex the export holds, and the process deadlocks (seen in the
 * rendezvous benchmark). fromSeed makes no keygen job.
 */
export function newIdentity(): Identity {
  return Identity.fromSeed(randomBytes(32));
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on 127.0.0.1, port 0, closed after the test. */
export async function startServer(options: StandaloneOptions = {}, components: RendezvousServerComponents = {}): Promise<StandaloneRendezvousServer> {
  const server = await startRendezvousServer({ host: '127.0.0.1', port: 0, ...options }, components);
  cleanups.push(() => server.close());
  return server;
}

/** A registered client library instance, closed after the test. */
export async function connectClient(
  url: string,
  identity = newIdentity(),
  base = 1,
  nat: NatProfile = portRestricted,
  components: RendezvousClientComponents = {},
): Promise<RendezvousClient> {
  const client = await connectRendezvous({ url, identity, nat, candidates: candidatesOf(base), timeoutMs: 5_000, requestTimeoutMs: 5_000 }, components);
  cleanups.push(() => client.close());
  return client;
}

/**
 * A raw protocol client for tests that must send what the library never would: every server
 * message is queued, `next(type)` waits for the next one of that type (others are kept).
 */
export class RawClient {
  readonly messages: ServerMessage[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = decodeServerMessage(data, isBinary);
      if (!decoded.ok) throw new Error(`server sent an invalid message: ${decoded.reason}`);
      this.messages.push(decoded.value);
      this.#wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code) => {
        this.closeCode = code;
        this.#wake();
        resolve(code);
      });
    });
  }

  static async open(url: string, protocols: string[] = [SUBPROTOCOL]): Promise<RawClient> {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const raw = new RawClient(ws);
    cleanups.push(async () => {
      ws.terminate();
      await raw.closed;
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return raw;
  }

  send(message: ClientMessage | Record<string, unknown>): void {
    this.ws.send(encodeMessage(message as ClientMessage));
  }

  sendText(text: string | Buffer): void {
    this.ws.send(text);
  }

  /** The next message of `type` (removed from the queue); rejects after `timeoutMs`. */
  async next<T extends ServerMessage['type']>(type: T, timeoutMs = 3_000): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type);
      if (index >= 0) return this.messages.splice(index, 1)[0] as Extract<ServerMessage, { type: T }>;
      if (this.closeCode !== null) throw new Error(`connection closed (${this.closeCode}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms (got ${this.messages.map((m) => m.type).join(', ') || 'nothing'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Opens, reads `hello`, registers `identity` with a valid signature; returns `registered`. */
  async register(identity: Identity, base = 1, nat: NatProfile = portRestricted): Promise<Extract<ServerMessage, { type: 'registered' }>> {
    const hello = await this.next('hello');
    this.send(signedRegister(identity, hello.challenge, base, nat));
    return this.next('registered');
  }

  /** Answers every ping from now on (as the library does). */
  answerPings(delayMs = 0): void {
    this.ws.on('message', (data: Buffer) => {
      const decoded = decodeServerMessage(data);
      if (decoded.ok && decoded.value.type === 'ping') {
        const pong = encodeMessage({ type: 'pong', nonce: decoded.value.nonce });
        if (delayMs === 0) this.ws.send(pong);
        else setTimeout(() => this.ws.readyState === this.ws.OPEN && this.ws.send(pong), delayMs);
      }
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

export function signedRegister(identity: Identity, challenge: string, base = 1, nat: NatProfile = portRestricted, signer: Identity = identity): ClientMessage {
  const payload = Buffer.from(challenge, 'base64url');
  const signature = Buffer.from(signer.sign('natkit/rendezvous/register/v1', payload)).toString('base64url');
  return { type: 'register', peerId: identity.peerId, challenge, signature, nat, candidates: candidatesOf(base) };
}
