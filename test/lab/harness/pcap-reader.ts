/**
 * A small reader of classic pcap files (what `tcpdump -w` writes) for lab assertions: the IPv4
 * UDP/TCP packets of an Ethernet capture with their addresses, ports and payloads. Hostile-input
 * safe: a truncated or odd record ends the walk; nothing is read past the buffer.
 */

export interface CapturedPacket {
  readonly protocol: 'udp' | 'tcp';
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** The transport payload (after the UDP or TCP header). */
  readonly payload: Buffer;
}

export type PcapReadResult = { ok: true; value: CapturedPacket[] } | { ok: false; reason: string };

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;

export function readPcap(file: Buffer): PcapReadResult {
  if (file.length < 24) return { ok: false, reason: `${file.length} bytes: no pcap header` };
  const magic = file.readUInt32LE(0);
  let little: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) little = false;
  else return { ok: false, reason: `not a pcap file (magic ${magic.toString(16)})` };
  const u32 = (at: number): number => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20) & 0xffff;
  if (linkType !== LINKTYPE_ETHERNET) return { ok: false, reason: `link type ${linkType}, want Ethernet (1)` };
  const out: CapturedPacket[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const length = u32(at + 8);
    const start = at + 16;
    if (start + length > file.length) break;
    const packet = decodeEthernet(file.subarray(start, start + length));
    if (packet !== undefined) out.push(packet);
    at = start + length;
  }
  return { ok: true, value: out };
}

function decodeEthernet(frame: Buffer): CapturedPacket | undefined {
  if (frame.length < 14) return undefined;
  let offset = 12;
  let type = frame.readUInt16BE(offset);
  if (type === ETHERTYPE_VLAN && frame.length >= 18) {
    offset += 4;
    type = frame.readUInt16BE(offset);
  }
  if (type !== ETHERTYPE_IPV4) return undefined;
  return decodeIpv4(frame.subarray(offset + 2));
}

function decodeIpv4(ip: Buffer): CapturedPacket | undefined {
  if (ip.length < 20 || ip[0]! >> 4 !== 4) return undefined;
  const headerLength = (ip[0]! & 0x0f) * 4;
  const total = Math.min(ip.readUInt16BE(2), ip.length);
  if (headerLength < 20 || total < headerLength) return undefined;
  const proto = ip[9];
  const src = ip.subarray(12, 16).join('.');
  const dst = ip.subarray(16, 20).join('.');
  const body = ip.subarray(headerLength, total);
  if (proto === 17 && body.length >= 8) {
    return { protocol: 'udp', src, dst, srcPort: body.readUInt16BE(0), dstPort: body.readUInt16BE(2), payload: body.subarray(8) };
  }
  if (proto === 6 && body.length >= 20) {
    const dataOffset = (body[12]! >> 4) * 4;
    if (dataOffset < 20 || dataOffset > body.length) return undefined;
    return { protocol: 'tcp', src, dst, srcPort: body.readUInt16BE(0), dstPort: body.readUInt16BE(2), payload: body.subarray(dataOffset) };
  }
  return undefined;
}
