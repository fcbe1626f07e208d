/**
 * IP literals to and from their network byte order form, as carried in the address attributes
 * (RFC 8489 §14.1). No name resolution, no dependency on node:net.
 */

/** Parses a dotted-quad IPv4 literal into `out` at `offset`; false when it is not one. */
export function writeIpv4(address: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= address.length; i++) {
    const c = i < address.length ? address.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      // No leading zeros (they mean octal to some parsers), at most 3 digits, at most 255.
      if (digits > 0 && part === 0) return false;
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return false;
    } else if (c === 0x2e && digits > 0 && index < 4) {
      out[offset + index++] = part;
      part = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return index === 4;
}

/** Parses an IPv6 literal (with `::`, an embedded IPv4 tail, or a `%zone` that is dropped). */
export function writeIpv6(address: string, out: Uint8Array, offset: number): boolean {
  const zone = address.indexOf('%');
  const text = zone >= 0 ? address.slice(0, zone) : address;
  const halves = text.split('::');
  if (halves.length > 2 || text.length < 2) return false;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return false;
  const groups = head.length + tail.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return false;
  out.fill(0, offset, offset + 16);
  head.forEach((g, i) => writeGroup(out, offset + 2 * i, g));
  tail.forEach((g, i) => writeGroup(out, offset + 16 - 2 * (tail.length - i), g));
  return true;
}

function writeGroup(out: Uint8Array, at: number, g: number): void {
  out[at] = g >> 8;
  out[at + 1] = g & 0xff;
}

/** Hex groups of one side of `::`; a dotted IPv4 tail counts as two groups. */
function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!writeIpv4(p, v4, 0)) return undefined;
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

/** The 4 or 16 bytes of an IP literal, or undefined when it is not one. */
export function parseIp(address: string): Uint8Array | undefined {
  if (address.includes(':')) {
    const out = new Uint8Array(16);
    return writeIpv6(address, out, 0) ? out : undefined;
  }
  const out = new Uint8Array(4);
  return writeIpv4(address, out, 0) ? out : undefined;
}

/** Dotted quad for 4 bytes; RFC 5952 canonical text (lower case, longest zero run as `::`) for 16. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted tail (as Node prints it).
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${formatIp(bytes.subarray(12, 16))}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
