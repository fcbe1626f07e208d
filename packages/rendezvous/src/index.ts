/**
 * @packageDocumentation
 * The natkit rendezvous: peers register under their peer id by signing a server challenge, keep
 * presence, and ask for a connection to a peer id; the server passes each side's candidates and
 * NAT profile to the other and tells both when to fire (RTT-timed, DCUtR-style). JSON over
 * WebSocket, subprotocol `natkit-rendezvous.v2` (and v1), every message validated (valibot).
 *
 * @example
 * ```ts
 * import { Identity } from '@natkit/identity';
 * import { connectRendezvous, startRendezvousServer, type NatProfile } from '@natkit/rendezvous';
 * const nat: NatProfile = { ipv4: null, ipv6: null }; // or natProfileFromDiagnosis(report)
 * const server = await startRendezvousServer({ port: 0 }, {
 *   mintRelayCredentials: (peerId) => ({ username: `${Math.floor(Date.now() / 1000) + 600}:${peerId}`, password: 'from the relay', ttl: 600, urls: [] }),
 * });
 * const alice = await connectRendezvous({ url: server.url, identity: Identity.generate(), nat, candidates: [] }); // an Identity is a RendezvousIdentity
 * const bob = await connectRendezvous({ url: server.url, identity: Identity.generate(), nat, candidates: [] });
 * bob.on('introduce', (intro) => console.log('punch', intro.peer.candidates, 'at', intro.fireAt));
 * const intro = await alice.connect(bob.peerId, { signal: AbortSignal.timeout(5000) });
 * console.log('fire in', intro.fireInMs, 'ms');
 * ```
 */

// errors
export { RendezvousConnectionError, RendezvousError, RendezvousRefusedError } from './errors.js';

// protocol: versioned, validated messages
export * from './protocol/index.js';

// schedule: when each side fires
export { planFireTimes, MAX_SCHEDULED_RTT_MS, type FirePlan, type FirePlanInput } from './schedule/plan-fire-times.js';
export { updateRtt, type RttEstimate } from './schedule/rtt-estimate.js';

// server
export { createRendezvousServer, type RendezvousServer, type RendezvousServerComponents } from './server/rendezvous-server.js';
export { startRendezvousServer, type StandaloneOptions, type StandaloneRendezvousServer } from './server/start-rendezvous-server.js';
export { DEFAULT_LIMITS, RENDEZVOUS_PATH, type RendezvousLimits, type RendezvousServerOptions } from './server/server-options.js';
export type { RendezvousServerStats } from './server/server-stats.js';
export type { MintRelayCredentials, VerifyRegistration, VerifyResult } from './server/server-context.js';
export type { PeerRecord, PresenceStore } from './server/presence-store.js';
export { MemoryPresenceStore } from './server/memory-presence-store.js';
export type { ByteStream } from './server/stream-duplex.js';
export { verifyRegistrationWithIdentity } from './server/identity-verifier.js';
export type { RateLimit } from './server/token-bucket.js';

// client
export { connectRendezvous, RendezvousClient, type Introduction, type RendezvousClientComponents, type RendezvousClientEvents, type RendezvousClientOptions } from './client/rendezvous-client.js';
export type { RendezvousIdentity } from './client/register-handshake.js';
export { natProfileFromDiagnosis } from './client/nat-profile-from-diagnosis.js';
export type { Listener } from './client/typed-emitter.js';
