import { formatEndpoint, sleep, type Endpoint } from '@natkit/net';
import { planInitialPolicy } from './policies.js';
import type { BindingObservation, ProbeContext, ProbeResult, ProbeSocket } from './probe-context.js';
import { detectPortUnreachable } from './detect-port-unreachable.js';

/** The outcome of the first contact with the servers (RFC 5780 §4.2 test I). */
export type Reachability =
  | {
      readonly kind: 'answered';
      readonly primary: BindingObservation;
      /** Test I to every server from the main socket, still in flight for the slow ones. */
      readonly test1: readonly Promise<ProbeResult>[];
      readonly warnings: readonly string[];
    }
  | { readonly kind: 'unreachable'; readonly failure: 'no-response' | 'no-server'; readonly warnings: string[] };

/**
 * Test I from the main socket to every server, with a connected probe per server that hears ICMP
 * port unreachable. Resolves as soon as an RFC 5780 server answers, or every server has answered,
 * timed out or refused.
 */
export async function reachServers(
  ctx: ProbeContext,
  main: ProbeSocket,
  servers: readonly Endpoint[],
  timeoutMs: number,
): Promise<Reachability> {
  const test1 = servers.map((s) => ctx.binding(main, s, planInitialPolicy(timeoutMs)));
  const refused = new Set<number>();
  const refusals = servers.map((s, i) =>
    detectPortUnreachable(ctx, s, planInitialPolicy(timeoutMs)).then((yes) => {
      if (yes) refused.add(i);
      return yes;
    }),
  );
  const primaryIndex = await pickPrimary(test1, refusals);
  ctx.signal?.throwIfAborted();
  const primaryResult = primaryIndex < 0 ? undefined : await test1[primaryIndex];
  const warnings = [...refused]
    .sort((a, b) => a - b)
    .flatMap((i) => (servers[i] === undefined ? [] : [`${formatEndpoint(servers[i])}: port unreachable (ICMP): no STUN server listens there`]));
  if (primaryResult?.outcome === 'answered') return { kind: 'answered', primary: primaryResult.observation, test1, warnings };
  if (refused.size === servers.length) return { kind: 'unreachable', failure: 'no-server', warnings };
  const why = servers.length > 1 ? 'no server answered: UDP is blocked on this path' : 'the only server did not answer: UDP is blocked or the server is down';
  return { kind: 'unreachable', failure: 'no-response', warnings: [why, ...warnings] };
}

/**
 * The first server that answers with an OTHER-ADDRESS; else the first that answers at all; else
 * -1. A server known to refuse (ICMP port unreachable) counts as settled, so that a diagnosis
 * against servers that are all down ends at once instead of after the timeout.
 */
async function pickPrimary(test1: readonly Promise<ProbeResult>[], refusals: readonly Promise<boolean>[]): Promise<number> {
  return new Promise((resolve) => {
    let pending = test1.length;
    const settled: (ProbeResult | undefined)[] = test1.map(() => undefined);
    const done = test1.map(() => false);
    const finish = (i: number): void => {
      if (done[i] === true) return;
      done[i] = true;
      if (--pending === 0) resolve(settled.findIndex((s) => s?.outcome === 'answered'));
    };
    if (pending === 0) resolve(-1);
    test1.forEach((p, i) => {
      void p.then(
        (r) => {
          settled[i] = r;
          if (r.outcome === 'answered' && r.observation.otherAddress !== null) resolve(i);
          finish(i);
        },
        () => finish(i),
      );
    });
    refusals.forEach((p, i) => {
      void p.then((yes) => {
        if (yes) finish(i);
      });
    });
  });
}

export /** OTHER-ADDRESS when it is of the family and differs from the primary in IP and port. */
function usableOtherAddress(primary: BindingObservation): Endpoint | null {
  const o = primary.otherAddress;
  if (o === null || o.port === 0) return null;
  if (o.address === primary.server.address || o.port === primary.server.port) return null;
  if (o.address.includes(':') !== primary.server.address.includes(':')) return null;
  return o;
}

/** The answers that arrived within `ms` more; null for the rest. */
export async function settleWithin(ctx: ProbeContext, all: readonly Promise<ProbeResult>[], ms: number): Promise<(ProbeResult | null)[]> {
  const results: (ProbeResult | null)[] = all.map(() => null);
  const done = Promise.all(all.map(async (p, i) => { results[i] = await p; }));
  const abort = new AbortController();
  await Promise.race([done, sleep(ctx.clock, ms, abort.signal).catch(() => undefined)]);
  abort.abort();
  return results;
}

