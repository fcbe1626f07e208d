// A minimal TURN/UDP client over one dgram socket for the load generator: requests with bounded
// retransmission and the long-term credential dance (401/438 -> signed retry), then a fast path
// for ChannelData. Loopback only.
import { createSocket } from 'node:dgram';
import { transactionKey } from '../../../packages/stun/dist/index.js';
import {
  allocateAttributes,
  channelBindAttributes,
  credentials,
  encodeRequest,
  isChannelData,
  permissionAttributes,
  readResponse,
  TurnMethod,
} from './wire.mjs';

const RTO_MS = 250;
const ATTEMPTS = 5; // 250 + 500 + 1000 + 1000 + 1000 ms at most per request
const MAX_AUTH_RETRIES = 2;
export const SOCKET_BUFFER = 4 * 1024 * 1024;

export async function bindUdp(address = '127.0.0.1', buffers = false) {
  const socket = createSocket(buffers ? { type: 'udp4', recvBufferSize: SOCKET_BUFFER, sendBufferSize: SOCKET_BUFFER } : { type: 'udp4' });
  socket.on('error', () => {});
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

export class TurnClient {
  /** @param server {{address: string, port: number}} */
  constructor(socket, server, user, password) {
    this.socket = socket;
    this.server = server;
    this.creds = credentials(user, password);
    this.user = user;
    this.password = password;
    this.redirects = 0;
    this.pending = new Map();
    this.onChannelData = () => {};
    socket.on('message', (msg) => {
      if (isChannelData(msg)) this.onChannelData(msg);
      else this.#onResponse(msg);
    });
  }

  #onResponse(msg) {
    if (msg.length < 20) return;
    const waiter = this.pending.get(transactionKey(msg.subarray(8, 20)));
    if (waiter === undefined) return;
    const response = readResponse(msg, waiter.transactionId, this.creds);
    if (response !== undefined) waiter.resolve(response);
  }

  /** One transaction, retransmitted on a doubling timer (capped), bounded in attempts. */
  #transact(method, attributes) {
    const { bytes, transactionId } = encodeRequest(method, attributes, this.creds);
    const key = transactionKey(transactionId);
    return new Promise((resolve, reject) => {
      let attempt = 0;
      let timer;
      const done = (fn, value) => {
        clearTimeout(timer);
        this.pending.delete(key);
        fn(value);
      };
      const send = () => {
        if (attempt === ATTEMPTS) return done(reject, new Error(`no answer from ${this.server.address}:${this.server.port} (method ${method}, ${ATTEMPTS} attempts)`));
        this.socket.send(bytes, this.server.port, this.server.address);
        timer = setTimeout(send, Math.min(1000, RTO_MS << attempt++));
      };
      this.pending.set(key, { transactionId, resolve: (r) => done(resolve, r) });
      send();
    });
  }

  /** A request with authentication: unsigned first if no nonce is known, then signed retries. */
  async request(method, attributes) {
    for (let round = 0; round <= MAX_AUTH_RETRIES; round++) {
      const r = await this.#transact(method, attributes);
      if (r.kind === 'success') return r.message;
      if (r.kind === 'redirect' && this.redirects++ === 0) {
        // RFC 8489 §10: the alternate server has its own nonce; start over there (once).
        this.server = r.to;
        this.creds = credentials(this.user, this.password);
        round = -1;
        continue;
      }
      if (r.kind === 'redirect') throw new Error(`method ${method}: error 300 redirected twice`);
      if (r.kind === 'error') throw new Error(`method ${method}: error ${r.code} ${r.reason}`);
    }
    throw new Error(`method ${method}: still refused after ${MAX_AUTH_RETRIES} authentication retries`);
  }

  allocate(lifetimeSeconds) {
    return this.request(TurnMethod.Allocate, allocateAttributes(lifetimeSeconds));
  }

  /** CreatePermission then ChannelBind for `peer` on `channel`. */
  async bindChannel(channel, peer) {
    await this.request(TurnMethod.CreatePermission, permissionAttributes(peer));
    await this.request(TurnMethod.ChannelBind, channelBindAttributes(channel, peer));
  }

  close() {
    for (const waiter of this.pending.values()) waiter.resolve({ kind: 'error', code: 0, reason: 'closed' });
    this.socket.close();
  }
}
