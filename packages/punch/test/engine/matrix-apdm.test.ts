/**
 * Proof over the virtual network: A with APD mapping against every RFC 4787 behavior, 7% loss
 * and 25 ms latency on both uplinks; each pair ends direct or relayed exactly as planned.
 */
import { describe } from 'vitest';
import { matrixTests } from './matrix.js';

describe('punch matrix, A maps APD', () => {
  matrixTests((a) => a.name.startsWith('APDM/'), { loss: 0.07, latencyMs: 25 });
});
