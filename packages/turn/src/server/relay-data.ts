import { familyOf, type Endpoint, type Family } from '@natkit/net';
import { createTransactionId, encodeMessage, type StunMessage } from '@natkit/stun';
import { decodeChannelData, encodeChannelData } from '../proto/channel-data.js';
import { TurnMethod } from '../proto/constants.js';
import { data as dataAttribute, readData } from '../proto/data.js';
import { readXorPeerAddress, xorPeerAddress } from '../proto/peer-address.js';
import type { ClientContext } from './client-transport.js';
import { checkPeer } from './peer-check.js';
import { tupleKeyOf } from './request-scope.js';
import type { TurnCore } from './turn-core.js';

/**
 * Send indication: relays DATA to XOR-PEER-ADDRESS. RFC 8656 §11.2: no response ever; a
 * missing allocation, a bad or denied peer, or a peer without permission is a silent drop.
 */
export function handleSendIndication(core: TurnCore, m: StunMessage, ctx: ClientContext): void {
  const key = tupleKeyOf(ctx);
  const a = core.table.get(key);
  const now = core.clock.now();
  if (a === undefined || a.isExpired(now)) return core.counters.drop('no-allocation');
  const peer = readXorPeerAddress(m);
  const payload = readData(m);
  if (peer === undefined || peer === 'malformed' || payload === undefined) return core.counters.drop('bad-indication');
  const problem = checkPeer(core, a, peer);
  if (problem !== undefined) return core.counters.drop(problem);
  if (!a.hasPermission(peer.address, now)) return core.counters.drop('no-permission');
  sendToPeer(core, key, peer, payload, now);
}

/** ChannelData from the client: relayed to the bound peer (RFC 8656 §12.6), else dropped. */
export function handleChannelDataFromClient(core: TurnCore, bytes: Uint8Array, ctx: ClientContext): void {
  // The stream listener has framed the message already (with or without its padding): decode it
  // as one message, ignoring any padding after the declared length.
  const r = decodeChannelData(bytes);
  if (!r.ok) return core.counters.drop('malformed');
  const key = tupleKeyOf(ctx);
  const a = core.table.get(key);
  const now = core.clock.now();
  if (a === undefined || a.isExpired(now)) return core.counters.drop('no-allocation');
  const binding = a.bindingOf(r.value.channel, now);
  if (binding === undefined) return core.counters.drop('unbound-channel');
  if (!a.hasPermission(binding.peer.address, now)) return core.counters.drop('no-permission');
  sendToPeer(core, key, binding.peer, r.value.data, now);
}

function sendToPeer(core: TurnCore, key: string, peer: Endpoint, payload: Uint8Array, now: number): void {
  const a = core.table.get(key);
  const link = core.links.get(key);
  const family = familyOf(peer.address);
  const relay = family === undefined ? undefined : a?.relayFor(family);
  if (relay === undefined || link === undefined) return core.counters.drop('peer-family');
  if (!link.toPeer.take(payload.length, now)) return core.counters.drop('bandwidth');
  core.counters.packetsToPeers++;
  core.counters.bytesToPeers += payload.length;
  relay.handle.send(payload, peer);
}

/**
 * A datagram from a peer on a relay socket: dropped without a permission for its IP
 * (RFC 8656 §9), sent as ChannelData when a channel is bound to it (padded on streams), else
 * as a Data indication. RFC 8656 §11.3, §12.7
 */
export function relayFromPeer(core: TurnCore, key: string, _family: Family, payload: Uint8Array, from: Endpoint): void {
  const a = core.table.get(key);
  const link = core.links.get(key);
  const now = core.clock.now();
  if (a === undefined || link === undefined || a.isExpired(now)) return core.counters.drop('no-allocation');
  if (!a.hasPermission(from.address, now)) return core.counters.drop('no-permission');
  if (payload.length > 0xffff - 64) return core.counters.drop('malformed');
  if (!link.toClient.take(payload.length, now)) return core.counters.drop('bandwidth');
  const binding = a.bindingTo(from, now);
  const bytes =
    binding !== undefined
      ? encodeChannelData(binding.channel, payload, { pad: link.stream })
      : encodeMessage({
          method: TurnMethod.Data,
          class: 'indication',
          transactionId: createTransactionId(),
          attributes: [xorPeerAddress(from), dataAttribute(payload)],
        });
  core.counters.packetsToClients++;
  core.counters.bytesToClients += payload.length;
  link.ctx.reply(bytes);
}
