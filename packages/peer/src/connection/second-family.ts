import { formatEndpoint, normalizeAddress, type Clock, type Endpoint, type Family, type Logger, type Network, type UdpSocket } from '@natkit/net';
import { addressTokenAttribute, readAddressProof, type AddressVerified, type Candidate, type RendezvousClient, type WireEndpoint } from '@natkit/rendezvous';
import { decodeMessage, readXorMappedAddress, StunClient } from '@natkit/stun';
import { directCandidates } from './candidates.js';
import { latestMapping, measureNat, type NatMeasurement, type NatSource } from './nat-measurement.js';

/**
 * A dual-stack peer's socket of the other family than its server's (`PeerOptions.server6`): its
 * own UDP socket, NAT measurement and candidates; the rendezvous binds its address to the peer
 * only once an address token came back from it (verifySecondFamily).
 */
export interface SecondFamily {
  readonly socket: UdpSocket;
  readonly family: Family;
  readonly server: Endpoint;
  readonly local: Endpoint;
  readonly nat: NatMeasurement;
}

export interface SecondFamilyDeps {
  readonly network: Network;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/** Token request, and the wait for `address-verified` after the Binding was answered. */
const TOKEN_TIMEOUT_MS = 3_000;
const VERIFIED_WAIT_MS = 2_000;
/** Binding retransmissions: 0, 150, 450, 1050 ms. */
const BINDING_POLICY = { rtoMs: 150, rc: 4, rm: 4, maxRtoMs: 600 };

/**
 * Binds the socket of `server`'s family and measures its NAT (or firewall) there. Null, with the
 * reason logged, when the host has no such family or the server does not answer over it: the
 * peer then works on its one family as before.
 */
export async function openSecondFamily(server: Endpoint, source: NatSource, deps: SecondFamilyDeps): Promise<SecondFamily | null> {
  const family: Family = server.address.includes(':') ? 6 : 4;
  let socket: UdpSocket;
  try {
    socket = await deps.network.bindUdp({ family });
  } catch (e) {
    deps.logger.info('no second address family', { family, error: e instanceof Error ? e.message : String(e) });
    return null;
  }
  try {
    const localAddress = await deps.network.localAddressFor(server);
    if (localAddress === undefined) {
      deps.logger.info('no second address family: no route', { server: formatEndpoint(server) });
      await socket.close();
      return null;
    }
    // One Binding first (about 1.6 s when nothing answers), so that a server without STUN on this
    // family does not cost a whole diagnosis's timeouts before the peer is ready.
    if ((await latestMapping(server, family, deps)) === null) {
      deps.logger.info('no second address family: the server did not answer over it', { server: formatEndpoint(server) });
      await socket.close();
      return null;
    }
    const nat = await measureNat(source, server, socket, deps);
    if (nat.srflx === null) {
      deps.logger.info('no second address family: the server did not answer over it', { server: formatEndpoint(server), notes: nat.notes.join('; ') });
      await socket.close();
      return null;
    }
    return { socket, family, server, local: { address: localAddress, port: socket.local.port }, nat };
  } catch (e) {
    await socket.close();
    throw e;
  }
}

/**
 * The second family measured again (after a network change): the same socket re-measured while
 * its local address towards the server is still the one it was bound with and the server still
 * answers over it; a new socket (openSecondFamily) when that address changed or is unanswered,
 * or when there was none (the family appeared since); null when the family is gone. The caller
 * closes `current` when the result is not on its socket.
 */
export async function remeasureSecondFamily(current: SecondFamily | null, server: Endpoint, source: NatSource, deps: SecondFamilyDeps): Promise<SecondFamily | null> {
  if (current !== null) {
    const localAddress = await deps.network.localAddressFor(server);
    if (localAddress === undefined) {
      deps.logger.info('second address family gone: no route', { server: formatEndpoint(server) });
      return null;
    }
    if (normalizeAddress(localAddress) === normalizeAddress(current.local.address)) {
      const nat = await measureNat(source, server, current.socket, deps);
      if (nat.srflx !== null) return { ...current, nat };
      deps.logger.info('the server no longer answers our second socket: opening a new one', { server: formatEndpoint(server) });
    } else {
      deps.logger.info('our second-family address changed: opening a new socket', { was: current.local.address, now: localAddress });
    }
  }
  return openSecondFamily(server, source, deps);
}

/** `main`'s measurement with the second family's profile and notes in it (`main` itself without one). */
export function withSecondFamily(main: NatMeasurement, second: SecondFamily | null): NatMeasurement {
  if (second === null) return main;
  const nat = second.family === 6 ? { ipv4: main.nat.ipv4, ipv6: second.nat.nat.ipv6 } : { ipv4: second.nat.nat.ipv4, ipv6: main.nat.ipv6 };
  return { ...main, nat, notes: [...main.notes, ...second.nat.notes.map((n) => `IPv${second.family}: ${n}`)] };
}

/** The host and server-reflexive candidates of the second socket. */
export function secondCandidates(second: SecondFamily | null): Candidate[] {
  return second === null ? [] : directCandidates(second.local, second.nat);
}

/**
 * Proves the second socket's address to the rendezvous: a token over the WebSocket, echoed in a
 * STUN Binding from that socket to the server's port of that family; the server's proof, sent
 * back to that address in a Binding indication, returned over the WebSocket (so the server knows
 * we send from and receive at that address). Resolves with the address the
 * server bound, or null (server of protocol v1, no UDP port of that family, no answer: logged).
 */
export async function verifySecondFamily(second: SecondFamily, rendezvous: RendezvousClient, deps: SecondFamilyDeps): Promise<WireEndpoint | null> {
  if (rendezvous.version < 2) {
    deps.logger.info('the rendezvous cannot verify a second address family (protocol v1)');
    return null;
  }
  let off = (): void => {};
  const verified = new Promise<AddressVerified>((resolve) => {
    off = rendezvous.on('address-verified', (m) => {
      if (m.family === second.family) resolve(m);
    });
  });
  const client = new StunClient({ policy: BINDING_POLICY }, { socket: second.socket, clock: deps.clock, logger: deps.logger });
  // The server's proof arrives at this socket (a Binding indication): returned over the WebSocket.
  const family = second.family === 6 ? 6 : 4;
  let proved = false;
  const offProof = second.socket.onMessage((data) => {
    if (proved || data.length < 20 || data[0] !== 0x00 || data[1] !== 0x11) return;
    const decoded = decodeMessage(data);
    const proof = decoded.ok && decoded.value.class === 'indication' ? readAddressProof(decoded.value) : undefined;
    if (proof === undefined) return;
    proved = true;
    rendezvous.proveAddress(family, proof);
  });
  try {
    const signal = deps.signal === undefined ? {} : { signal: deps.signal };
    const { token } = await rendezvous.requestAddressToken(family, { timeoutMs: TOKEN_TIMEOUT_MS, ...signal });
    const attribute = addressTokenAttribute(new Uint8Array(Buffer.from(token, 'base64url')), rendezvous.peerId);
    const response = await client.request(second.server, { attributes: [attribute], ...signal });
    const mapped = readXorMappedAddress(response.message);
    const bound = await within(verified, VERIFIED_WAIT_MS, deps.clock);
    if (bound === null) deps.logger.info('the rendezvous did not confirm our second address', { family: second.family, mapped: mapped === undefined ? 'none' : formatEndpoint(mapped) });
    return bound?.observed ?? null;
  } catch (e) {
    deps.logger.info('second address family not verified', { family: second.family, error: e instanceof Error ? e.message : String(e) });
    return null;
  } finally {
    off();
    offProof();
    client.close();
  }
}

function within<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(null), ms);
    void promise.then((v) => {
      timer.cancel();
      resolve(v);
    });
  });
}
