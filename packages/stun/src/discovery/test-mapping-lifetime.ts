import { sleep, type Endpoint } from '@natkit/net';
import {
  classifyPacket,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  responsePort,
  StunMethod,
  transactionKey,
} from '../proto/index.js';
import type { RetransmitPolicy } from '../transaction/retransmit-policy.js';
import type { ProbeContext, ProbeSocket } from './probe-context.js';
import { planLifetimeTrials, updateLifetimeKnowledge, type LifetimeKnowledge } from './plan-lifetime.js';

export interface LifetimeResult {
  /** The longest idle time after which a mapping still worked; null when unsupported. */
  readonly seconds: number | null;
  /** The shortest idle time after which a mapping was gone, if one was seen. */
  readonly expiredAfter: number | null;
  readonly warning: string | null;
}

/** At most this many passes, whatever the plan says (every loop is bounded). */
const MAX_PASSES = 8;

/**
 * RFC 5780 §4.6 mapping lifetime: socket X creates a mapping and then stays silent; after T,
 * another socket Y asks the server (RESPONSE-PORT) to answer to X's mapped port. X hearing it
 * means the mapping survived T idle seconds. Passes of trials run side by side.
 */
export async function testMappingLifetime(
  ctx: ProbeContext,
  server: Endpoint,
  policies: { positive: RetransmitPolicy; negative: RetransmitPolicy },
  maxSeconds: number,
): Promise<LifetimeResult> {
  const control = await runPass(ctx, server, policies, [0]);
  if (control === null || control[0]?.alive !== true) {
    return { seconds: null, expiredAfter: null, warning: 'the server does not honor RESPONSE-PORT (RFC 5780 §7.5): mapping lifetime not measured' };
  }
  let k: LifetimeKnowledge = { aliveAt: 0, deadAt: null };
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const plan = planLifetimeTrials(k, { maxSeconds });
    if (plan === null) break;
    const trials = await runPass(ctx, server, policies, plan);
    if (trials === null) return { seconds: null, expiredAfter: null, warning: 'lifetime test lost contact with the server' };
    k = updateLifetimeKnowledge(k, trials);
  }
  return { seconds: k.aliveAt, expiredAfter: k.deadAt, warning: null };
}

/** Creates one mapping per idle time, then probes each when its time comes; stops at the first dead one. */
async function runPass(
  ctx: ProbeContext,
  server: Endpoint,
  policies: { positive: RetransmitPolicy; negative: RetransmitPolicy },
  idleSeconds: readonly number[],
): Promise<{ seconds: number; alive: boolean }[] | null> {
  const prober = await ctx.open();
  const targets = await Promise.all(idleSeconds.map(() => ctx.open()));
  const mapped = await Promise.all(targets.map((t) => ctx.binding(t, server, policies.positive)));
  const proberSeen = await ctx.binding(prober, server, policies.positive);
  if (proberSeen.outcome !== 'answered' || mapped.some((m) => m.outcome !== 'answered')) return null;
  const start = ctx.clock.now();
  const results: { seconds: number; alive: boolean }[] = [];
  for (const [i, seconds] of idleSeconds.entries()) {
    const target = targets[i];
    const m = mapped[i];
    if (target === undefined || m?.outcome !== 'answered' || m.observation.mapped === null) return null;
    const wait = start + seconds * 1000 - ctx.clock.now();
    if (wait > 0) await sleep(ctx.clock, wait, ctx.signal);
    const alive = await probeViaResponsePort(ctx, prober, target, server, m.observation.mapped.port, policies.negative);
    // Silence is evidence only while the server is shown to answer right then.
    if (!alive && (await ctx.binding(prober, server, policies.positive)).outcome !== 'answered') return null;
    results.push({ seconds, alive });
    if (!alive) break;
  }
  return results;
}

async function probeViaResponsePort(
  ctx: ProbeContext,
  prober: ProbeSocket,
  target: ProbeSocket,
  server: Endpoint,
  port: number,
  policy: RetransmitPolicy,
): Promise<boolean> {
  const transactionId = createTransactionId(ctx.random);
  const key = transactionKey(transactionId);
  const request = encodeMessage(
    { method: StunMethod.Binding, class: 'request', transactionId, attributes: [responsePort(port)] },
    { fingerprint: true },
  );
  let heard = false;
  const off = target.socket.onMessage((data) => {
    if (classifyPacket(data) !== 'stun') return;
    const d = decodeMessage(data);
    if (d.ok && d.value.class === 'success' && transactionKey(d.value.transactionId) === key) heard = true;
  });
  try {
    for (let i = 0; i < Math.max(1, policy.rc) && !heard; i++) {
      prober.socket.send(request, server);
      await sleep(ctx.clock, policy.rtoMs, ctx.signal);
    }
    if (!heard) await sleep(ctx.clock, policy.rtoMs * Math.max(1, policy.rm), ctx.signal);
  } finally {
    off();
  }
  return heard;
}
