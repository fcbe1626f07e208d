import type { Endpoint } from '@natkit/net';
import type { SendPlan } from '../plan/types.js';

/** One scheduled send: `atMs` after the fire time, from socket `socket` (0: the caller's). */
export interface ScheduledSend {
  readonly atMs: number;
  readonly socket: number;
  readonly to: Endpoint;
}

/**
 * The sends of a plan in time order, lazily (a birthday plan has thousands). Within a round the
 * targets go in the plan's order, so a sequential NAT allocates its ports in the predicted order;
 * 'every-socket' sends each target from every socket in turn.
 */
export function* expandSchedule(plan: SendPlan): Generator<ScheduledSend> {
  const sockets = plan.from === 'every-socket' ? plan.extraSockets + 1 : 1;
  for (let round = 0; round < plan.rounds; round++) {
    let i = 0;
    const start = round * plan.roundIntervalMs;
    for (const to of plan.targets) {
      for (let socket = 0; socket < sockets; socket++) {
        yield { atMs: start + i * plan.intervalMs, socket, to };
        i++;
      }
    }
  }
}
