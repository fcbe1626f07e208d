import { DHLEN, dh, type DhKeyPair, TAGLEN } from './noise-crypto.js';
import { SymmetricState } from './symmetric-state.js';

/**
 * The Noise IK pattern (§7.5), as two pure steps per side:
 *
 *     IK:
 *       <- s
 *       ...
 *       -> e, es, s, ss
 *       <- e, ee, se
 *
 * Keys and randomness are passed in (the ephemeral key pair too), so the published test vectors
 * run through this exact code. Reading never throws: a message that fails gives `undefined`.
 */
export const PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_BLAKE2s';

export interface TransportKeys {
  /** Initiator-to-responder and responder-to-initiator keys (Split). */
  readonly initiatorToResponder: Uint8Array;
  readonly responderToInitiator: Uint8Array;
  readonly handshakeHash: Uint8Array;
}

/** Bytes of message 1 and 2 around their payloads. */
export const IK_MESSAGE1_OVERHEAD = DHLEN + DHLEN + TAGLEN + TAGLEN;
export const IK_MESSAGE2_OVERHEAD = DHLEN + TAGLEN;

function start(prologue: Uint8Array, responderStatic: Uint8Array): SymmetricState {
  const state = new SymmetricState(PROTOCOL_NAME);
  state.mixHash(prologue);
  state.mixHash(responderStatic); // pre-message "<- s"
  return state;
}

function finish(state: SymmetricState): TransportKeys {
  const [initiatorToResponder, responderToInitiator] = state.split();
  return { initiatorToResponder, responderToInitiator, handshakeHash: state.handshakeHash };
}

export interface IkInitiatorKeys {
  readonly prologue: Uint8Array;
  readonly s: DhKeyPair;
  readonly e: DhKeyPair;
  readonly rs: Uint8Array;
}

/** The initiator after writing message 1, waiting for message 2. */
export class IkInitiator {
  readonly #state: SymmetricState;
  readonly #keys: IkInitiatorKeys;
  readonly message1: Uint8Array;

  /** Writes message 1 with `payload`; `undefined` when `rs` is not a usable key. */
  static write(keys: IkInitiatorKeys, payload: Uint8Array): IkInitiator | undefined {
    const state = start(keys.prologue, keys.rs);
    state.mixHash(keys.e.publicKey); // e
    const es = dh(keys.e, keys.rs);
    const ss = dh(keys.s, keys.rs);
    if (es === undefined || ss === undefined) return undefined;
    state.mixKey(es); // es
    const encryptedStatic = state.encryptAndHash(keys.s.publicKey); // s
    state.mixKey(ss); // ss
    const body = state.encryptAndHash(payload);
    return new IkInitiator(state, keys, Buffer.concat([keys.e.publicKey, encryptedStatic, body]));
  }

  private constructor(state: SymmetricState, keys: IkInitiatorKeys, message1: Uint8Array) {
    this.#state = state;
    this.#keys = keys;
    this.message1 = message1;
  }

  /** Reads message 2. Each call starts from the state after message 1, so a forged reply cannot spoil a later real one. */
  read(message2: Uint8Array): { payload: Uint8Array; keys: TransportKeys } | undefined {
    if (message2.length < IK_MESSAGE2_OVERHEAD) return undefined;
    const state = this.#state.clone();
    const re = message2.subarray(0, DHLEN);
    state.mixHash(re); // e
    const ee = dh(this.#keys.e, re);
    const se = dh(this.#keys.s, re);
    if (ee === undefined || se === undefined) return undefined;
    state.mixKey(ee); // ee
    state.mixKey(se); // se
    const payload = state.decryptAndHash(message2.subarray(DHLEN));
    if (payload === undefined) return undefined;
    return { payload, keys: finish(state) };
  }
}

export interface IkMessage1 {
  /** The initiator's static public key, authenticated by the handshake. */
  readonly rs: Uint8Array;
  readonly payload: Uint8Array;
  /** Writes message 2 with `payload` using the ephemeral key pair `e`. */
  respond(e: DhKeyPair, payload: Uint8Array): { message2: Uint8Array; keys: TransportKeys } | undefined;
}

/** The responder reads message 1; `undefined` when it is malformed or not for `s`. */
export function readIkMessage1(prologue: Uint8Array, s: DhKeyPair, message1: Uint8Array): IkMessage1 | undefined {
  if (message1.length < IK_MESSAGE1_OVERHEAD) return undefined;
  const state = start(prologue, s.publicKey);
  const re = message1.subarray(0, DHLEN);
  state.mixHash(re); // e
  const es = dh(s, re);
  if (es === undefined) return undefined;
  state.mixKey(es); // es
  const rs = state.decryptAndHash(message1.subarray(DHLEN, DHLEN + DHLEN + TAGLEN)); // s
  if (rs === undefined) return undefined;
  const ss = dh(s, rs);
  if (ss === undefined) return undefined;
  state.mixKey(ss); // ss
  const payload = state.decryptAndHash(message1.subarray(DHLEN + DHLEN + TAGLEN));
  if (payload === undefined) return undefined;
  let responded = false;
  return {
    rs: new Uint8Array(rs),
    payload,
    respond(e, reply) {
      if (responded) return undefined;
      responded = true;
      state.mixHash(e.publicKey); // e
      const ee = dh(e, re);
      const se = dh(e, rs);
      if (ee === undefined || se === undefined) return undefined;
      state.mixKey(ee); // ee
      state.mixKey(se); // se
      const body = state.encryptAndHash(reply);
      return { message2: Buffer.concat([e.publicKey, body]), keys: finish(state) };
    },
  };
}
