import { createRequire } from 'node:module';

/*
 * The npm `stun` package (v2, CommonJS, untyped): an independent implementation used as an oracle.
 * Only the parts the tests use are typed here.
 */
export interface NpmStunAttribute {
  readonly type: number;
  readonly value: unknown;
}

export interface NpmStunMessage {
  readonly type: number;
  readonly transactionId: Buffer;
  readonly count: number;
  isLegacy(): boolean;
  getAttribute(type: number): NpmStunAttribute | undefined;
  [Symbol.iterator](): Iterator<NpmStunAttribute>;
}

export interface NpmStunRequest extends NpmStunMessage {
  addXorAddress(address: string, port: number): unknown;
  addAddress(address: string, port: number): unknown;
  addAlternateServer(address: string, port: number): unknown;
  addSoftware(text: string): unknown;
  addUsername(text: string): unknown;
  addRealm(text: string): unknown;
  addNonce(text: string): unknown;
  addError(code: number, reason: string): unknown;
  addUnknownAttributes(types: number[]): unknown;
  addMessageIntegrity(key: string | Buffer): unknown;
  addFingerprint(): unknown;
  addAttribute(type: number, ...values: unknown[]): unknown;
  toBuffer(): Buffer;
}

export interface NpmStunAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

export interface NpmStun {
  createMessage(type: number, transactionId?: Buffer): NpmStunRequest;
  encode(message: NpmStunMessage): Buffer;
  decode(bytes: Buffer): NpmStunMessage;
  validateFingerprint(message: NpmStunMessage): boolean;
  validateMessageIntegrity(message: NpmStunMessage, key: string | Buffer): boolean;
  request(url: string, options?: Record<string, unknown>): Promise<NpmStunMessage>;
  readonly constants: Readonly<Record<string, number>>;
}

export const npmStun = createRequire(import.meta.url)('stun') as NpmStun;

/** A constant of the package (`STUN_BINDING_REQUEST`, `STUN_ATTR_XOR_MAPPED_ADDRESS`, ...). */
export function npmConstant(name: string): number {
  const v = npmStun.constants[name];
  if (v === undefined) throw new Error(`no constant ${name} in npm stun`);
  return v;
}
