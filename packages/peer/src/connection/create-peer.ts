import { formatEndpoint, silentLogger, systemClock } from '@natkit/net';
import { connectRendezvous, RENDEZVOUS_PATH } from '@natkit/rendezvous';
import { PeerError } from '../errors.js';
import { directCandidates, relayCandidate } from './candidates.js';
import { relayKeepaliveMs } from './connection-timing.js';
import { measureNat } from './nat-measurement.js';
import { Peer, type PeerComponents, type PeerOptions } from './peer.js';
import { setupRelay } from './relay-setup.js';

/**
 * Creates a peer: binds one UDP socket, measures its NAT (`diagnose` against the natkit server,
 * unless `options.nat` says otherwise) and its server-reflexive address (a STUN Binding from that
 * socket), registers at the rendezvous with the NAT profile and the host and server-reflexive
 * candidates in the `register` message itself (so no peer is introduced to us before it can
 * punch), then allocates a relay with the credentials the rendezvous hands out (UDP, else TCP)
 * and announces the relayed candidate in an `update`.
 */
export async function createPeer(options: PeerOptions, components: PeerComponents): Promise<Peer> {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('peer');
  const { network, server } = { network: components.network, server: options.server };
  const family = server.address.includes(':') ? 6 : 4;
  const socket = await network.bindUdp({ family });
  try {
    const started = clock.now();
    const localAddress = (await network.localAddressFor(server)) ?? (family === 4 ? '127.0.0.1' : '::1');
    const local = { address: localAddress, port: socket.local.port };
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const nat = await measureNat(options.nat ?? 'diagnose', server, socket, { network, clock, logger, ...signal });
    for (const note of nat.notes) logger.info('nat', { note });
    const host = server.address.includes(':') ? `[${server.address}]` : server.address;
    const url = options.rendezvousUrl ?? `ws://${host}:${server.port}${RENDEZVOUS_PATH}`;
    const candidates = directCandidates(local, nat);
    const rendezvous = await connectRendezvous({ url, identity: options.identity, nat: nat.nat, candidates, ...signal }, { clock, logger }).catch((e: unknown) => {
      throw new PeerError('ERR_PEER_RENDEZVOUS', `cannot register at the rendezvous ${url}: ${e instanceof Error ? e.message : String(e)}`);
    });
    try {
      const relay = await setupRelay(options.relay ?? 'auto', server, rendezvous.relay, socket, { network, clock, logger, keepaliveMs: relayKeepaliveMs(nat.nat, options), ...signal });
      const all = [...candidates, ...relayCandidate(relay)];
      if (all.length > candidates.length) rendezvous.update(nat.nat, all);
      const readyMs = Math.round(clock.now() - started);
      logger.debug('peer ready', { peer: options.identity.peerId, local: formatEndpoint(local), candidates: all.length, readyMs, diagnosisMs: nat.diagnosisMs ?? -1 });
      const wallClock = components.wallClock === undefined ? {} : { wallClock: components.wallClock };
      return new Peer(options, { socket, local, rendezvous, relay, nat, candidates: all, network, readyMs, ...wallClock }, clock, logger);
    } catch (e) {
      await rendezvous.close();
      throw e;
    }
  } catch (e) {
    await socket.close();
    throw e;
  }
}
