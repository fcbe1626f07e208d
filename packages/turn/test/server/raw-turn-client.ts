import type { Endpoint, UdpSocket } from '@natkit/net';
import {
  createTransactionId,
  decodeMessage,
  encodeMessage,
  nonce,
  readNonce,
  readRealm,
  realm,
  transactionKey,
  username,
  type AttributeSpec,
  type StunMessage,
} from '@natkit/stun';
import { passwordKey } from '../../src/auth/password-key.js';
import { PasswordAlgorithm } from '../../src/proto/index.js';

/**
 * A deliberately small TURN client for the server's tests: it encodes requests by hand with
 * the STUN codec, answers a 401/438 challenge once, and records everything else it receives
 * (Data indications, ChannelData). Independent of the package's own client.
 */
export class RawTurnClient {
  readonly received: { data: Uint8Array; from: Endpoint }[] = [];
  private readonly waiting = new Map<string, (m: StunMessage) => void>();
  private realmText: string | undefined;
  private nonceText: string | undefined;

  constructor(
    readonly socket: UdpSocket,
    readonly server: Endpoint,
    private readonly user: string,
    private readonly password: string,
  ) {
    socket.onMessage((data, from) => {
      const r = decodeMessage(data);
      const waiter = r.ok && (r.value.class === 'success' || r.value.class === 'error') ? this.waiting.get(transactionKey(r.value.transactionId)) : undefined;
      if (r.ok && waiter !== undefined) {
        this.waiting.delete(transactionKey(r.value.transactionId));
        waiter(r.value);
      } else {
        this.received.push({ data: new Uint8Array(data), from });
      }
    });
  }

  get key(): Uint8Array {
    return passwordKey(PasswordAlgorithm.Md5, this.user, this.realmText ?? '', this.password);
  }

  /** Encodes a signed request (once a nonce is known) and returns its bytes. */
  encode(method: number, attributes: readonly AttributeSpec[], transactionId = createTransactionId()): Uint8Array {
    const creds = this.nonceText === undefined ? [] : [username(this.user), realm(this.realmText ?? ''), nonce(this.nonceText)];
    return encodeMessage(
      { method, class: 'request', transactionId, attributes: [...attributes, ...creds] },
      this.nonceText === undefined ? { fingerprint: true } : { integrityKey: this.key, fingerprint: true },
    );
  }

  /** Sends raw bytes and waits for the response with `transactionId`. */
  exchange(bytes: Uint8Array): Promise<StunMessage> {
    const r = decodeMessage(bytes);
    if (!r.ok) throw new Error(r.reason);
    const done = new Promise<StunMessage>((resolve) => this.waiting.set(transactionKey(r.value.transactionId), resolve));
    this.socket.send(bytes, this.server);
    return done;
  }

  /** A request, retried once with credentials after a 401 or 438. */
  async request(method: number, attributes: readonly AttributeSpec[]): Promise<StunMessage> {
    let response = await this.exchange(this.encode(method, attributes));
    if (response.class === 'error') {
      const code = errorCodeOf(response);
      if (code === 401 || code === 438) {
        this.realmText = readRealm(response);
        this.nonceText = readNonce(response);
        response = await this.exchange(this.encode(method, attributes));
      }
    }
    return response;
  }

  sendIndication(method: number, attributes: readonly AttributeSpec[]): void {
    this.socket.send(encodeMessage({ method, class: 'indication', transactionId: createTransactionId(), attributes }), this.server);
  }
}

/** The ERROR-CODE number of a response, or 0. */
export function errorCodeOf(m: StunMessage): number {
  const a = m.attributes.find((x) => x.type === 0x0009);
  if (a === undefined || a.value.length < 4) return 0;
  return ((a.value[2] ?? 0) & 7) * 100 + (a.value[3] ?? 0);
}
