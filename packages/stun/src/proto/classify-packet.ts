/** What a datagram on a multiplexed socket is, by its first byte. RFC 7983 §7 */
export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'turn-channel' | 'rtp-rtcp' | 'unknown';

/**
 * Classifies a datagram by its first byte, per the RFC 7983 §7 demultiplexing ranges:
 * 0-3 STUN, 16-19 ZRTP, 20-63 DTLS, 64-79 TURN ChannelData, 128-191 RTP/RTCP.
 * Only the first byte is looked at: a 'stun' answer still needs decoding.
 */
export function classifyPacket(bytes: Uint8Array): PacketKind {
  const b = bytes[0];
  if (b === undefined) return 'unknown';
  if (b <= 3) return 'stun'; // RFC 7983 §7: [0..3] -> STUN
  if (b >= 16 && b <= 19) return 'zrtp'; // RFC 7983 §7: [16..19] -> ZRTP
  if (b >= 20 && b <= 63) return 'dtls'; // RFC 7983 §7: [20..63] -> DTLS
  if (b >= 64 && b <= 79) return 'turn-channel'; // RFC 7983 §7: [64..79] -> TURN Channel
  if (b >= 128 && b <= 191) return 'rtp-rtcp'; // RFC 7983 §7: [128..191] -> RTP/RTCP
  return 'unknown';
}
