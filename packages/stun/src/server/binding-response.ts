import type { Endpoint, Family } from '@natkit/net';
import { ADDRESS_FAMILY_IPV4, ADDRESS_FAMILY_IPV6, writeAddressValue } from '../proto/address.js';
import { AttributeType, FINGERPRINT_XOR, HEADER_LENGTH, MAGIC_COOKIE, padded } from '../proto/constants.js';
import { crc32 } from '../proto/crc32.js';
import { encodeMessageType } from '../proto/message-type.js';
import { writeIpv4, writeIpv6 } from '../proto/ip-address.js';

/** The addresses a sending socket puts in its responses. */
export interface ResponderAddresses {
  /** RESPONSE-ORIGIN / SOURCE-ADDRESS: this socket (undefined when bound to a wildcard). */
  readonly origin: Endpoint | undefined;
  /** OTHER-ADDRESS: the change-IP-and-port socket (undefined without one). RFC 5780 §7.4 */
  readonly other: Endpoint | undefined;
  /**
   * CHANGED-ADDRESS for RFC 3489 clients, which expect it in every answer (RFC 3489 §8.1,
   * §11.2.3): `other` when there is one, else the socket that a change request would use as far
   * as this server can change anything. Undefined only when that address is unknown (wildcard).
   */
  readonly changed: Endpoint | undefined;
}

const SUCCESS_TYPE = encodeMessageType(0x001, 'success'); // RFC 8489 §18.2 Binding success
const FINGERPRINT_TOTAL = 8; // RFC 8489 §14.7: header + 32-bit CRC

/**
 * Builds Binding success responses for one sending socket from precomputed templates: per
 * response it copies the template, writes the transaction id and the two mapped addresses, and
 * computes FINGERPRINT. Only the client's address is parsed per packet.
 *
 * Modern layout (RFC 8489 / RFC 5780 §6): XOR-MAPPED-ADDRESS, MAPPED-ADDRESS, RESPONSE-ORIGIN,
 * OTHER-ADDRESS, SOFTWARE, [PADDING], FINGERPRINT.
 * RFC 3489 layout (RFC 5389 §12.2, RFC 3489 §11.2): MAPPED-ADDRESS, SOURCE-ADDRESS,
 * CHANGED-ADDRESS; the 16-byte transaction id echoed; no FINGERPRINT.
 */
export class BindingResponder {
  readonly #addressLength: number;
  readonly #modern: Uint8Array;
  readonly #legacy: Uint8Array;

  constructor(family: Family, addresses: ResponderAddresses, software: Uint8Array | undefined) {
    this.#addressLength = family === 4 ? 8 : 20;
    const a = this.#addressLength;
    const tail = [
      addressAttribute(AttributeType.ResponseOrigin, addresses.origin),
      addressAttribute(AttributeType.OtherAddress, addresses.other),
      rawAttribute(AttributeType.Software, software),
    ];
    this.#modern = template(SUCCESS_TYPE, 20 + 2 * (4 + a), tail, FINGERPRINT_TOTAL);
    writeAttributeHeader(this.#modern, HEADER_LENGTH, AttributeType.XorMappedAddress, a);
    writeAttributeHeader(this.#modern, HEADER_LENGTH + 4 + a, AttributeType.MappedAddress, a);
    // No SOFTWARE for RFC 3489 clients: it is not in RFC 3489, and the classic client parses
    // 0x8022 as a SERVER string whose length must be a multiple of 4.
    const legacyTail = [
      addressAttribute(AttributeType.SourceAddress, addresses.origin),
      addressAttribute(AttributeType.ChangedAddress, addresses.changed),
    ];
    this.#legacy = template(SUCCESS_TYPE, 20 + 4 + a, legacyTail, 0);
    writeAttributeHeader(this.#legacy, HEADER_LENGTH, AttributeType.MappedAddress, a);
  }

  /** Size of a modern response without PADDING. */
  get baseLength(): number {
    return this.#modern.length;
  }

  /**
   * A success response to the modern request `request` from `from`, with a PADDING value of
   * `paddingLength` zero bytes unless undefined. Undefined when `from` is not an IP literal of
   * this socket's family.
   */
  success(request: Uint8Array, from: Endpoint, paddingLength: number | undefined): Uint8Array | undefined {
    const t = this.#modern;
    const a = this.#addressLength;
    const fixed = t.length - FINGERPRINT_TOTAL;
    const pad = paddingLength === undefined ? 0 : 4 + padded(paddingLength);
    const out = Buffer.allocUnsafe(t.length + pad);
    out.set(t);
    const mapped = HEADER_LENGTH + 4 + a + 4;
    if (!writeMapped(out, mapped, from, a)) return undefined;
    for (let i = 8; i < HEADER_LENGTH; i++) out[i] = request[i] ?? 0;
    writeXorMapped(out, HEADER_LENGTH + 4, mapped, a);
    if (paddingLength !== undefined) {
      writeAttributeHeader(out, fixed, AttributeType.Padding, paddingLength);
      out.fill(0, fixed + 4, fixed + pad);
    }
    const fp = fixed + pad;
    const length = out.length - HEADER_LENGTH;
    out[2] = length >> 8;
    out[3] = length & 0xff;
    writeAttributeHeader(out, fp, AttributeType.Fingerprint, 4);
    out.writeUInt32BE((crc32(out, 0, fp) ^ FINGERPRINT_XOR) >>> 0, fp + 4);
    return out;
  }

  /** A success response to the RFC 3489 request `request` (16-byte id echoed). */
  legacySuccess(request: Uint8Array, from: Endpoint): Uint8Array | undefined {
    const out = Buffer.allocUnsafe(this.#legacy.length);
    out.set(this.#legacy);
    if (!writeMapped(out, HEADER_LENGTH + 4, from, this.#addressLength)) return undefined;
    for (let i = 4; i < HEADER_LENGTH; i++) out[i] = request[i] ?? 0;
    return out;
  }
}

/** Writes a MAPPED-ADDRESS value for `from` at `at`. RFC 8489 §14.1 */
function writeMapped(out: Uint8Array, at: number, from: Endpoint, length: number): boolean {
  const ok = length === 8 ? writeIpv4(from.address, out, at + 4) : writeIpv6(from.address, out, at + 4);
  if (!ok || from.port < 0 || from.port > 0xffff) return false;
  out[at] = 0;
  out[at + 1] = length === 8 ? ADDRESS_FAMILY_IPV4 : ADDRESS_FAMILY_IPV6;
  out[at + 2] = from.port >> 8;
  out[at + 3] = from.port & 0xff;
  return true;
}

/**
 * Copies the MAPPED-ADDRESS value at `from` to `to`, XORed with the magic cookie and the
 * transaction id already in the header. RFC 8489 §14.2
 */
function writeXorMapped(out: Uint8Array, to: number, from: number, length: number): void {
  out[to] = 0;
  out[to + 1] = out[from + 1] ?? 0;
  // The port is XORed with the cookie's top 16 bits (header bytes 4-5); the address with the
  // cookie then the transaction id, which are header bytes 4-19 in that order.
  out[to + 2] = (out[from + 2] ?? 0) ^ (out[4] ?? 0);
  out[to + 3] = (out[from + 3] ?? 0) ^ (out[5] ?? 0);
  for (let i = 4; i < length; i++) out[to + i] = (out[from + i] ?? 0) ^ (out[i] ?? 0);
}

function writeAttributeHeader(out: Uint8Array, at: number, type: number, length: number): void {
  out[at] = type >> 8;
  out[at + 1] = type & 0xff;
  out[at + 2] = length >> 8;
  out[at + 3] = length & 0xff;
}

function addressAttribute(type: number, e: Endpoint | undefined): Uint8Array | undefined {
  if (e === undefined) return undefined;
  const value = new Uint8Array(20);
  const n = writeAddressValue(e, value, 0);
  return n === 0 ? undefined : rawAttribute(type, value.subarray(0, n));
}

function rawAttribute(type: number, value: Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const out = new Uint8Array(4 + padded(value.length));
  writeAttributeHeader(out, 0, type, value.length);
  out.set(value, 4);
  return out;
}

/** Header (type, cookie), `head` bytes of per-response space, the constant tail, `reserve` more. */
function template(type: number, head: number, tail: readonly (Uint8Array | undefined)[], reserve: number): Uint8Array {
  const parts = tail.filter((p): p is Uint8Array => p !== undefined);
  const out = new Uint8Array(head + parts.reduce((n, p) => n + p.length, 0) + reserve);
  out[0] = type >> 8;
  out[1] = type & 0xff;
  const length = out.length - HEADER_LENGTH;
  out[2] = length >> 8;
  out[3] = length & 0xff;
  new DataView(out.buffer).setUint32(4, MAGIC_COOKIE);
  let at = head;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
