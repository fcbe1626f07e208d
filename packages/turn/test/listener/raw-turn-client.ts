import { connect as rawConnect, type Socket } from 'node:net';
import {
  createTransactionId, decodeMessage, encodeMessage, longTermKey, nonce, readNonce, readRealm, realm, username,
  type AttributeSpec, type StunMessage,
} from '@natkit/stun';
import type { Endpoint } from '@natkit/net';
import { TRANSPORT_UDP, TurnMethod } from '../../src/proto/constants.js';
import { readXorRelayedAddresses } from '../../src/proto/peer-address.js';
import { requestedTransport } from '../../src/proto/requested-transport.js';
import { StreamDeframer } from '../../src/proto/stream-framing.js';

/**
 * A hand-driven TURN client on a raw TCP socket (so that a test can stop reading at will, or
 * watch the connection close): requests are answered in order, indications are ignored.
 */
export class RawTurnClient {
  readonly #deframer = new StreamDeframer();
  readonly #waiting: Array<(m: StunMessage) => void> = [];
  auth: AttributeSpec[] = [];
  key: Uint8Array | undefined;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const r = this.#deframer.push(chunk);
      if (!r.ok) throw new Error(r.reason);
      for (const f of r.value) {
        const m = decodeMessage(Uint8Array.from(f.bytes));
        if (m.ok && m.value.class !== 'indication') this.#waiting.shift()?.(m.value);
      }
    });
  }

  static async open(port: number): Promise<RawTurnClient> {
    const socket = rawConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawTurnClient(socket);
  }

  request(method: number, attributes: AttributeSpec[], signed = true): Promise<StunMessage> {
    const answer = new Promise<StunMessage>((resolve) => this.#waiting.push(resolve));
    const all = signed ? [...attributes, ...this.auth] : attributes;
    const options = signed && this.key !== undefined ? { integrityKey: this.key } : {};
    this.socket.write(encodeMessage({ method, class: 'request', transactionId: createTransactionId(), attributes: all }, options));
    return answer;
  }

  /** Allocate with long-term credentials (401 first); returns the relayed address. */
  async allocate(user: string, password: string): Promise<Endpoint> {
    const transport = requestedTransport(TRANSPORT_UDP);
    const challenge = await this.request(TurnMethod.Allocate, [transport], false);
    const r = readRealm(challenge) ?? '';
    this.auth = [username(user), realm(r), nonce(readNonce(challenge) ?? '')];
    this.key = longTermKey(user, r, password);
    const allocated = await this.request(TurnMethod.Allocate, [transport]);
    const relayed = allocated.class === 'success' ? readXorRelayedAddresses(allocated) : 'malformed';
    if (relayed === 'malformed' || relayed[0] === undefined) throw new Error(`Allocate failed (${allocated.class})`);
    return relayed[0];
  }
}
