import type { Endpoint } from '@natkit/net';

/** RFC 6598 shared address space, used inside carrier-grade NATs. */
export function isSharedAddressSpace(address: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(address);
  if (m === null) return false;
  return Number(m[1]) === 100 && Number(m[2]) >= 64 && Number(m[2]) <= 127;
}

/**
 * Hints that a carrier-grade NAT sits in the path (RFC 6598, RFC 6888). None is proof: these are
 * the signs STUN alone can see.
 */
export function detectCarrierGradeNat(input: {
  readonly localAddress: Endpoint | null;
  readonly mappedAddress: Endpoint | null;
  readonly externalAddresses: readonly string[];
}): { suspected: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (input.mappedAddress !== null && isSharedAddressSpace(input.mappedAddress.address)) {
    reasons.push(`the server sees you at ${input.mappedAddress.address}, in 100.64.0.0/10: the server is inside a carrier-grade NAT with you`);
  }
  if (input.localAddress !== null && isSharedAddressSpace(input.localAddress.address)) {
    reasons.push(`your local address ${input.localAddress.address} is in 100.64.0.0/10, the shared address space carrier-grade NATs hand out`);
  }
  if (input.externalAddresses.length > 1) {
    reasons.push(`${input.externalAddresses.length} different external IPs (${input.externalAddresses.join(', ')}): a NAT pool without paired addresses, typical of carrier-grade NATs`);
  }
  return { suspected: reasons.length > 0, reasons };
}
