import { formatEndpoint, silentLogger, systemClock } from '@natkit/net';
import { connectRendezvous, RENDEZVOUS_PATH } from '@natkit/rendezvous';
import { PeerError } from '../errors.js';
import { directCandidates, relayCandidate } from './candidates.js';
import { relayKeepaliveMs } from './connection-timing.js';
import { measureNat } from './nat-measurement.js';
import { Peer, type PeerComponents, type PeerOptions } from './peer.js';
import { setupRelay } from './relay-setup.js';
import { openSecondFamily, secondCandidates, verifySecondFamily, withSecondFamily, type SecondFamily } from './second-family.js';

/**
 * Creates a peer: binds one UDP socket, measures its NAT (`diagnose` against the natkit server,
 * unless `options.nat` says otherwise) and its server-reflexive address (a STUN Binding from that
 * socket), registers at the rendezvous with the NAT profile and the host and server-reflexive
 * candidates in the `register` message itself (so no peer is introduced to us before it can
 * punch), then allocates a relay with the credentials the rendezvous hands out (UDP, else TCP)
 * and announces the relayed candidate in an `update`. With `options.server6` (dual stack), a
 * second UDP socket (IPv6) is measured alongside, its candidates registered too, and its address
 * proved to the rendezvous (address token) while the relay is allocated.
 */
export async function createPeer(options: PeerOptions, components: PeerComponents): Promise<Peer> {
  const clock = components.clock ?? systemClock;
  const logger = (components.logger ?? silentLogger).child('peer');
  const { network, server } = { network: components.network, server: options.server };
  const family = server.address.includes(':') ? 6 : 4;
  if (options.server6 !== undefined && (family !== 4 || !options.server6.address.includes(':'))) {
    throw new PeerError('ERR_PEER_OPTION', 'server6 is the server\'s IPv6 address, next to an IPv4 `server`');
  }
  const socket = await network.bindUdp({ family });
  let second: SecondFamily | null = null;
  try {
    const started = clock.now();
    const localAddress = (await network.localAddressFor(server)) ?? (family === 4 ? '127.0.0.1' : '::1');
    const local = { address: localAddress, port: socket.local.port };
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const deps = { network, clock, logger, ...signal };
    // The second family is measured at the same time as the first (its own sockets).
    const [measured, opened] = await Promise.all([
      measureNat(options.nat ?? 'diagnose', server, socket, deps),
      options.server6 === undefined ? null : openSecondFamily(options.server6, options.nat ?? 'diagnose', deps),
    ]);
    second = opened;
    const nat = withSecondFamily(measured, second);
    for (const note of nat.notes) logger.info('nat', { note });
    const host = server.address.includes(':') ? `[${server.address}]` : server.address;
    const url = options.rendezvousUrl ?? `ws://${host}:${server.port}${RENDEZVOUS_PATH}`;
    const candidates = [...directCandidates(local, nat), ...secondCandidates(second)];
    const rendezvous = await connectRendezvous({ url, identity: options.identity, nat: nat.nat, candidates, ...signal }, { clock, logger }).catch((e: unknown) => {
      throw new PeerError('ERR_PEER_RENDEZVOUS', `cannot register at the rendezvous ${url}: ${e instanceof Error ? e.message : String(e)}`);
    });
    try {
      const [relay, verified] = await Promise.all([
        setupRelay(options.relay ?? 'auto', server, rendezvous.relay, socket, { network, clock, logger, keepaliveMs: relayKeepaliveMs(nat.nat, options), ...signal }),
        second === null ? null : verifySecondFamily(second, rendezvous, deps),
      ]);
      const all = [...candidates, ...relayCandidate(relay)];
      if (all.length > candidates.length) rendezvous.update(nat.nat, all);
      const readyMs = Math.round(clock.now() - started);
      logger.debug('peer ready', { peer: options.identity.peerId, local: formatEndpoint(local), second: verified === null ? 'none' : formatEndpoint(verified), candidates: all.length, readyMs, diagnosisMs: nat.diagnosisMs ?? -1 });
      const wallClock = components.wallClock === undefined ? {} : { wallClock: components.wallClock };
      return new Peer(options, { socket, local, rendezvous, relay, nat, candidates: all, second, verified, network, readyMs, ...wallClock }, clock, logger);
    } catch (e) {
      await rendezvous.close();
      throw e;
    }
  } catch (e) {
    await socket.close();
    await second?.socket.close();
    throw e;
  }
}
