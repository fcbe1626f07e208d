import type { FilteringBehavior } from './types.js';
import type { Classified } from './classify-mapping.js';

/**
 * The fate of a request whose answer is the evidence:
 * 'answered' from the right address, 'silent' after every retransmission, 'wrong-source' (the
 * server answered from an address it should not have: it ignores CHANGE-REQUEST), 'error' (an
 * error response such as 420), or 'not-run'.
 */
export type ProbeOutcome = 'answered' | 'silent' | 'wrong-source' | 'error' | 'not-run';

/** RFC 5780 §4.4 filtering tests, run on a socket that has contacted only the primary address. */
export interface FilteringObservations {
  /** Test II: CHANGE-REQUEST with change IP and change port. */
  readonly changeIpAndPort: ProbeOutcome;
  /** Test III: CHANGE-REQUEST with change port only. */
  readonly changePort: ProbeOutcome;
  /** A plain request to the primary address answered after the silent tests: the server is alive. */
  readonly serverAlive: boolean;
}

/**
 * A missing answer counts as evidence only when the server is known to be answering, and only
 * after retransmissions (the caller's job). A server that answers from the wrong address, or
 * refuses CHANGE-REQUEST, gives 'unknown' rather than a guess.
 */
export function classifyFiltering(o: FilteringObservations): Classified<FilteringBehavior> {
  if (o.changeIpAndPort === 'answered') {
    return { value: 'endpoint-independent', reason: 'an answer from the other IP and port got through' };
  }
  const outcomes = [o.changeIpAndPort, o.changePort];
  if (outcomes.includes('wrong-source')) {
    return { value: 'unknown', reason: 'the server ignores CHANGE-REQUEST (it answered from the address it was sent to)' };
  }
  if (outcomes.includes('error')) {
    return { value: 'unknown', reason: 'the server refused CHANGE-REQUEST (it does not support RFC 5780)' };
  }
  if (outcomes.includes('not-run')) return { value: 'unknown', reason: 'the filtering tests did not run' };
  if (o.changePort === 'answered') {
    return { value: 'address-dependent', reason: 'an answer from another port got through, one from another IP did not' };
  }
  if (!o.serverAlive) {
    return { value: 'unknown', reason: 'the server stopped answering, so silence is no evidence' };
  }
  return { value: 'address-and-port-dependent', reason: 'only answers from the address and port contacted got through' };
}
