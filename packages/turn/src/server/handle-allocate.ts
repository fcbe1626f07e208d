import { familyOf, type Endpoint, type Family, type UdpSocket } from '@natkit/net';
import { transactionKey, xorMappedAddress, type AttributeSpec } from '@natkit/stun';
import { Allocation, type Relay } from '../allocation/allocation.js';
import { redirectAllocate } from './allocate-redirect.js';
import { grantLifetime } from '../allocation/lifetimes.js';
import { addressErrorCode } from '../proto/address-error-code.js';
import { readAdditionalAddressFamily, readRequestedAddressFamily } from '../proto/address-family.js';
import { TRANSPORT_UDP } from '../proto/constants.js';
import { hasDontFragment } from '../proto/dont-fragment.js';
import { readEvenPort } from '../proto/even-port.js';
import { lifetime, readLifetime } from '../proto/lifetime.js';
import { xorRelayedAddress } from '../proto/peer-address.js';
import { readRequestedTransport } from '../proto/requested-transport.js';
import { readReservationToken, reservationToken } from '../proto/reservation-token.js';
import type { ClientContext } from './client-transport.js';
import { relayFromPeer } from './relay-data.js';
import type { RequestScope } from './request-scope.js';
import type { TurnCore } from './turn-core.js';

/** What an Allocate asks for, once its attributes check out. */
interface AllocatePlan {
  readonly families: readonly Family[];
  readonly token: Uint8Array | undefined;
  readonly even: { readonly reserveNext: boolean } | undefined;
  readonly lifetimeS: number;
  readonly dontFragment: boolean;
}

/** Allocate requests whose relay sockets are being bound: 5-tuple key -> transaction key. */
const pendingByCore = new WeakMap<TurnCore, Map<string, string>>();

/**
 * Allocate. RFC 8656 §7.2: 437 for a 5-tuple in use, 400/442/440 for the attributes, 486/508
 * for quotas and ports, then relay sockets are bound (asynchronously) and the success carries
 * XOR-RELAYED-ADDRESS (one per family), LIFETIME, RESERVATION-TOKEN and XOR-MAPPED-ADDRESS.
 */
export function handleAllocateRequest(s: RequestScope): void {
  const pending = pendingByCore.get(s.core) ?? new Map<string, string>();
  pendingByCore.set(s.core, pending);
  const tx = transactionKey(s.m.transactionId);
  if (pending.get(s.tupleKey) === tx) {
    s.core.counters.drop('retransmission-pending'); // the answer is on its way
    return;
  }
  if (redirectAllocate(s)) return;
  const existing = s.core.table.get(s.tupleKey);
  if (existing?.isExpired(s.now) === true) s.core.deleteAllocation(s.tupleKey, 'expired'); // not swept yet
  else if (existing !== undefined) return s.error(437);
  if (pending.has(s.tupleKey)) return s.error(437);
  const plan = planAllocate(s);
  if (plan === undefined) return;
  const admitted = s.core.table.reserve(s.tupleKey, s.auth.username);
  if (!admitted.ok) return s.error(admitted.code);
  pending.set(s.tupleKey, tx);
  void completeAllocate(s, plan)
    .catch((e: unknown) => {
      s.core.table.release(s.tupleKey);
      s.core.logger.warn('allocate failed', { error: e instanceof Error ? e.message : String(e) });
      s.error(500);
    })
    .finally(() => pending.delete(s.tupleKey));
}

/** Checks the attributes (RFC 8656 §7.2 steps 2-8); answers the error and returns undefined if bad. */
function planAllocate(s: RequestScope): AllocatePlan | undefined {
  const m = s.m;
  const transport = readRequestedTransport(m);
  if (transport === undefined || transport === 'malformed') return void s.error(400);
  if (transport !== TRANSPORT_UDP) return void s.error(442);
  const even = readEvenPort(m);
  const token = readReservationToken(m);
  const requested = readRequestedAddressFamily(m);
  const additional = readAdditionalAddressFamily(m);
  const life = readLifetime(m);
  if ([even, token, requested, additional, life].includes('malformed')) return void s.error(400);
  if (token !== undefined && even !== undefined) return void s.error(400);
  if (token !== undefined && (requested !== undefined || additional !== undefined)) return void s.error(400);
  if (requested !== undefined && additional !== undefined) return void s.error(400);
  if (additional !== undefined && additional !== 6) return void s.error(400);
  if (requested === 'unknown') return void s.error(440);
  const families: Family[] = [requested === 6 ? 6 : 4];
  if (additional === 6) families.push(6);
  return {
    families,
    token: token === 'malformed' ? undefined : token,
    even: even === 'malformed' ? undefined : even,
    lifetimeS: grantLifetime(typeof life === 'number' ? life : undefined, s.core.settings.maxLifetimeS, false),
    dontFragment: hasDontFragment(m),
  };
}

async function completeAllocate(s: RequestScope, plan: AllocatePlan): Promise<void> {
  const { core } = s;
  const relays = new Map<Family, Relay<UdpSocket>>();
  const extra: AttributeSpec[] = [];
  let nextSocket: UdpSocket | undefined;
  if (plan.token !== undefined) {
    const socket = core.reservations.take(plan.token, core.clock.now());
    if (socket !== undefined) relays.set(socket.family, relayOf(core, socket));
  } else {
    for (const [i, family] of plan.families.entries()) {
      const bound = await bindFamily(core, s.ctx, family, i === 0 ? plan.even : undefined);
      if (bound === 'no-address' || bound === undefined) {
        if (i === 0) return failAllocate(s, relays, bound === 'no-address' ? 440 : 508);
        extra.push(addressErrorCode(family, bound === 'no-address' ? 440 : 508, bound === 'no-address' ? 'Address Family not Supported' : 'Insufficient Capacity'));
        continue;
      }
      relays.set(family, relayOf(core, bound.socket));
      nextSocket = bound.next;
    }
  }
  if (relays.size === 0) return failAllocate(s, relays, 508);
  if (core.closed) return failAllocate(s, relays, 508);
  const now = core.clock.now();
  const limits = { maxPermissions: core.table.limits.maxPermissions, maxChannels: core.table.limits.maxChannels };
  const tuple = { transport: s.ctx.transport, client: s.ctx.client, local: s.ctx.local, ...(s.ctx.connectionId === undefined ? {} : { connectionId: s.ctx.connectionId }) };
  const allocation = new Allocation(tuple, s.tupleKey, s.auth.username, relays, now + plan.lifetimeS * 1000, plan.dontFragment, limits);
  core.table.add(allocation);
  core.links.set(s.tupleKey, core.link(s.ctx));
  core.counters.allocationsCreated++;
  core.logger.debug('allocation created', { relayed: [...relays.values()].map((r) => r.relayed.port), families: [...relays.keys()], lifetime: plan.lifetimeS });
  for (const [family, r] of relays) r.handle.onMessage((data, from) => relayFromPeer(core, s.tupleKey, family, data, from));
  const attributes: AttributeSpec[] = [...relays.values()].map((r) => xorRelayedAddress(r.relayed));
  attributes.push(lifetime(plan.lifetimeS), ...extra);
  if (nextSocket !== undefined) attributes.push(reserve(core, nextSocket));
  if (familyOf(s.ctx.client.address) !== undefined) attributes.push(xorMappedAddress(s.ctx.client));
  s.success(attributes);
}

function failAllocate(s: RequestScope, relays: Map<Family, Relay<UdpSocket>>, code: number): void {
  for (const r of relays.values()) void s.core.ports.close(r.handle).catch(() => undefined);
  s.core.table.release(s.tupleKey);
  s.error(code);
}

/** Holds the odd port of an EVEN-PORT R=1 pair under a fresh token. */
function reserve(core: TurnCore, socket: UdpSocket): AttributeSpec {
  const token = core.random(8);
  if (!core.reservations.hold(token, socket, core.clock.now())) void core.ports.close(socket).catch(() => undefined);
  return reservationToken(token);
}

function relayOf(core: TurnCore, socket: UdpSocket): Relay<UdpSocket> {
  const address = core.settings.advertised.get(socket.family) ?? socket.local.address;
  const relayed: Endpoint = { address, port: socket.local.port };
  return { relayed, handle: socket };
}

async function bindFamily(
  core: TurnCore,
  ctx: ClientContext,
  family: Family,
  even: { reserveNext: boolean } | undefined,
): Promise<{ socket: UdpSocket; next?: UdpSocket } | 'no-address' | undefined> {
  const address = await relayAddressFor(core, ctx, family);
  if (address === undefined) return 'no-address';
  return core.ports.bind({ family, address, even: even !== undefined, reserveNext: even?.reserveNext === true });
}

/** Where to bind a relay of `family`: configured, else the address the client reached, else the route to it. */
async function relayAddressFor(core: TurnCore, ctx: ClientContext, family: Family): Promise<string | undefined> {
  const configured = core.settings.relayAddress.get(family);
  if (configured !== undefined) return configured;
  const local = ctx.local.address;
  if (familyOf(local) === family && local !== '0.0.0.0' && local !== '::') return local;
  if (familyOf(ctx.client.address) !== family) return undefined;
  return core.network.localAddressFor(ctx.client);
}
