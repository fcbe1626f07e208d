import { createSecretKey, type KeyObject } from 'node:crypto';
import { rekey } from './noise-crypto.js';

/** How far ahead of the current key epoch a packet may be (all packets of the epochs between were lost). */
export const MAX_EPOCH_SKIP = 64;

/**
 * The receive keys of one direction across rekeys (Noise §11.3 Rekey(), one-way, so an old key
 * cannot be recomputed from a newer one): the previous epoch's key, kept for reordered packets,
 * the current one, and the next ones derived on demand and cached, so a forged packet with a
 * far epoch costs one decryption, not a chain of derivations each time.
 */
export class ReceiveKeys {
  #epoch = 0;
  #previous: KeyObject | undefined;
  #current: { raw: Uint8Array; key: KeyObject };
  readonly #ahead: { raw: Uint8Array; key: KeyObject }[] = [];

  constructor(initial: Uint8Array) {
    this.#current = { raw: initial, key: createSecretKey(initial) };
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** The full epoch number a wire epoch byte stands for, or `undefined` if out of reach. */
  resolve(wireEpoch: number): number | undefined {
    const distance = (wireEpoch - this.#epoch) & 0xff;
    if (distance === 0) return this.#epoch;
    if (distance === 0xff) return this.#previous === undefined ? undefined : this.#epoch - 1;
    return distance <= MAX_EPOCH_SKIP ? this.#epoch + distance : undefined;
  }

  keyFor(epoch: number): KeyObject | undefined {
    if (epoch === this.#epoch) return this.#current.key;
    if (epoch === this.#epoch - 1) return this.#previous;
    const index = epoch - this.#epoch - 1;
    if (index < 0 || index >= MAX_EPOCH_SKIP) return undefined;
    while (this.#ahead.length <= index) {
      const last = this.#ahead.at(-1) ?? this.#current;
      const raw = rekey(last.raw);
      this.#ahead.push({ raw, key: createSecretKey(raw) });
    }
    return this.#ahead[index]!.key;
  }

  /** Moves to `epoch` after a packet of that epoch authenticated. */
  advance(epoch: number): void {
    const steps = epoch - this.#epoch;
    if (steps <= 0) return;
    const next = this.#ahead[steps - 1]!;
    this.#previous = steps === 1 ? this.#current.key : this.#ahead[steps - 2]!.key;
    this.#current = next;
    this.#ahead.splice(0, steps);
    this.#epoch = epoch;
  }
}

/** The send key of one direction: rekeyed after a number of messages or an amount of time. */
export class SendKey {
  #epoch = 0;
  #raw: Uint8Array;
  #key: KeyObject;
  #sentInEpoch = 0;
  #epochStartedAt: number;

  constructor(initial: Uint8Array, now: number) {
    this.#raw = initial;
    this.#key = createSecretKey(initial);
    this.#epochStartedAt = now;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get key(): KeyObject {
    return this.#key;
  }

  /** Rekeys first when the current key has sent `afterMessages` or is `afterMs` old; true if it did. */
  rotateIfDue(now: number, afterMessages: number, afterMs: number): boolean {
    if (this.#sentInEpoch < afterMessages && now - this.#epochStartedAt < afterMs) return false;
    this.#raw = rekey(this.#raw);
    this.#key = createSecretKey(this.#raw);
    this.#epoch++;
    this.#sentInEpoch = 0;
    this.#epochStartedAt = now;
    return true;
  }

  countSent(): void {
    this.#sentInEpoch++;
  }
}
