import type { Endpoint } from '@natkit/net';
import { alternateServer } from '@natkit/stun';
import type { ClientContext } from './client-transport.js';
import type { RequestScope } from './request-scope.js';
import type { TurnCore } from './turn-core.js';

/**
 * Where to send a client's Allocate instead of serving it here (RFC 8656 §6.2 / RFC 8489 §10:
 * 300 Try Alternate with ALTERNATE-SERVER), or undefined to serve it. Used by a front process
 * that spreads allocations over worker processes, each on its own port.
 */
export type AllocateRedirect = (client: ClientContext) => Endpoint | undefined;

const redirects = new WeakMap<TurnCore, AllocateRedirect>();

/** Installs the redirect decision of a server core. */
export function setAllocateRedirect(core: TurnCore, redirect: AllocateRedirect | undefined): void {
  if (redirect !== undefined) redirects.set(core, redirect);
}

/**
 * Answers an authenticated Allocate with 300 ALTERNATE-SERVER when the redirect says so; true
 * when it did. The scope is authenticated, so the answer carries MESSAGE-INTEGRITY (RFC 8489 §10:
 * an unauthenticated 300 would let anyone steer clients). ALTERNATE-DOMAIN (RFC 8489 §14.16)
 * matters only for (D)TLS, and only UDP is redirected.
 */
export function redirectAllocate(s: RequestScope): boolean {
  if (s.ctx.transport !== 'udp') return false;
  const to = redirects.get(s.core)?.(s.ctx);
  if (to === undefined) return false;
  s.error(300, [alternateServer(to)]);
  return true;
}
