import type { Clock, Network } from '@natkit/net';
import { allocateRelay, type AllocateOptions } from './allocate-relay.js';
import { TurnClientError } from './turn-client-error.js';

/** Whether a server supports something: yes, no, or unknown (the probe failed for another reason). */
export type Support = boolean | null;

/** Short retransmissions for side probes: 0, 200, 600 ms; gives up at 1.4 s. */
const PROBE_POLICY = { rtoMs: 200, rc: 3, rm: 4, maxRtoMs: 800 } as const;

/**
 * Tries a second allocation with `changes` (another family, another transport) and deletes it at
 * once. `refusedMeansNo` lists the TURN error codes that mean "not supported" (440 for a family,
 * 442 for a transport); a timeout or refused connection over a new transport also means no.
 */
export async function probeAllocation(
  base: AllocateOptions,
  changes: Partial<AllocateOptions>,
  refusedMeansNo: readonly number[],
  components: { readonly network: Network; readonly clock: Clock },
): Promise<Support> {
  try {
    const a = await allocateRelay({ ...base, policy: PROBE_POLICY, ...changes }, { network: components.network, clock: components.clock });
    await a.socket.close();
    return true;
  } catch (e) {
    if (!(e instanceof TurnClientError)) return null;
    if (e.status !== undefined && refusedMeansNo.includes(e.status)) return false;
    if (changes.transport !== undefined && e.code === 'ERR_TURN_TIMEOUT') return false;
    return null;
  }
}
