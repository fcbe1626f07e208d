import type { Endpoint } from '@natkit/net';
import { StunEncodeError } from '../errors.js';
import { MAGIC_COOKIE } from './constants.js';
import { formatIp, writeIpv4, writeIpv6 } from './ip-address.js';

/** Address family codes of the address attributes. RFC 8489 §14.1 */
export const ADDRESS_FAMILY_IPV4 = 0x01;
export const ADDRESS_FAMILY_IPV6 = 0x02;

/** Value sizes of an IPv4 and an IPv6 address attribute. RFC 8489 §14.1 */
export const ADDRESS_VALUE_LENGTH_IPV4 = 8;
export const ADDRESS_VALUE_LENGTH_IPV6 = 20;

/**
 * Writes the MAPPED-ADDRESS value format (reserved byte, family, port, address; RFC 8489 §14.1)
 * into `out` at `offset` and returns the bytes written, or 0 when the address is not an IP
 * literal. With `transactionId`, applies the XOR-MAPPED-ADDRESS obfuscation (RFC 8489 §14.2).
 */
export function writeAddressValue(
  e: Endpoint,
  out: Uint8Array,
  offset: number,
  transactionId?: Uint8Array,
): number {
  const v6 = e.address.includes(':');
  const ok = v6 ? writeIpv6(e.address, out, offset + 4) : writeIpv4(e.address, out, offset + 4);
  if (!ok) return 0;
  out[offset] = 0;
  out[offset + 1] = v6 ? ADDRESS_FAMILY_IPV6 : ADDRESS_FAMILY_IPV4;
  out[offset + 2] = (e.port >> 8) & 0xff;
  out[offset + 3] = e.port & 0xff;
  const length = v6 ? ADDRESS_VALUE_LENGTH_IPV6 : ADDRESS_VALUE_LENGTH_IPV4;
  if (transactionId !== undefined) xorAddressValue(out, offset, length, transactionId);
  return length;
}

/**
 * XORs port and address of an address value in place with the magic cookie (and, for IPv6,
 * the transaction id): its own inverse. RFC 8489 §14.2
 */
export function xorAddressValue(
  b: Uint8Array,
  offset: number,
  length: number,
  transactionId: Uint8Array,
): void {
  b[offset + 2] = (b[offset + 2] ?? 0) ^ (MAGIC_COOKIE >>> 24);
  b[offset + 3] = (b[offset + 3] ?? 0) ^ ((MAGIC_COOKIE >>> 16) & 0xff);
  for (let i = 0; i < length - 4; i++) {
    const key = i < 4 ? (MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff : (transactionId[i - 4] ?? 0);
    b[offset + 4 + i] = (b[offset + 4 + i] ?? 0) ^ key;
  }
}

/** Encodes an address value, throwing StunEncodeError for a bad address or port. */
export function encodeAddressValue(e: Endpoint, transactionId?: Uint8Array): Uint8Array {
  if (!Number.isInteger(e.port) || e.port < 0 || e.port > 0xffff) {
    throw new StunEncodeError(`port out of range: ${e.port}`);
  }
  const out = new Uint8Array(ADDRESS_VALUE_LENGTH_IPV6);
  const n = writeAddressValue(e, out, 0, transactionId);
  if (n === 0) throw new StunEncodeError(`not an IP literal: ${e.address}`);
  return out.subarray(0, n);
}

/**
 * Decodes an address value; undefined when malformed (unknown family, wrong length).
 * The reserved first byte is ignored, as RFC 8489 §14.1 requires of receivers.
 */
export function decodeAddressValue(value: Uint8Array, transactionId?: Uint8Array): Endpoint | undefined {
  const family = value[1];
  const length =
    family === ADDRESS_FAMILY_IPV4
      ? ADDRESS_VALUE_LENGTH_IPV4
      : family === ADDRESS_FAMILY_IPV6
        ? ADDRESS_VALUE_LENGTH_IPV6
        : 0;
  if (length === 0 || value.length !== length) return undefined;
  let v = value;
  if (transactionId !== undefined) {
    v = new Uint8Array(value); // a copy even when `value` is a Buffer, whose slice() is a view
    xorAddressValue(v, 0, length, transactionId);
  }
  return { address: formatIp(v.subarray(4, length)), port: ((v[2] ?? 0) << 8) | (v[3] ?? 0) };
}
