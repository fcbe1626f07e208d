import { isValidChannelNumber, MIN_CHANNEL_NUMBER, RFC5766_MAX_CHANNEL_NUMBER } from '../proto/constants.js';
import { readChannelNumber } from '../proto/channel-number.js';
import { readXorPeerAddress } from '../proto/peer-address.js';
import { checkPeer } from './peer-check.js';
import type { RequestScope } from './request-scope.js';

/**
 * ChannelBind. RFC 8656 §12.2: CHANNEL-NUMBER in 0x4000-0x4FFF (0x4000-0x7FFF, RFC 5766 §11, with
 * `legacyChannelNumbers`) and one XOR-PEER-ADDRESS
 * (400 otherwise); 400 when the channel is bound to another peer or the peer to another
 * channel (also during the 5-minute cool-down); 443 / 403 from the peer checks; 508 over the
 * caps. Success binds or refreshes the channel and the peer's permission.
 */
export function handleChannelBindRequest(s: RequestScope): void {
  const channel = readChannelNumber(s.m);
  const peer = readXorPeerAddress(s.m);
  if (channel === undefined || channel === 'malformed') return s.error(400);
  const legacy = s.core.settings.legacyChannelNumbers && channel >= MIN_CHANNEL_NUMBER && channel <= RFC5766_MAX_CHANNEL_NUMBER;
  if (!isValidChannelNumber(channel) && !legacy) return s.error(400);
  if (peer === undefined || peer === 'malformed') return s.error(400);
  const a = s.allocation();
  if (a === undefined) return;
  const problem = checkPeer(s.core, a, peer);
  if (problem === 'peer-family') return s.error(443);
  if (problem === 'peer-denied') {
    s.core.counters.drop('peer-denied');
    return s.error(403);
  }
  const verdict = a.bind(channel, peer, s.now);
  if (!verdict.ok) return s.error(verdict.code);
  s.success([]);
}
