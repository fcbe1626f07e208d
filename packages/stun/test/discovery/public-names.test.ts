/**
 * stun and vnet share no exported name with another meaning (issue 10, item 6): the report's
 * port allocation and the server's drop reasons have their own names, and EndpointDependency is
 * the same RFC 4787 union in both packages.
 */
import type { EndpointDependency as VnetDependency, PortAllocation as VnetPortAllocation } from '@natkit/vnet';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { classifyPortAllocation, type EndpointDependency, type PortAllocationReport, type ServerDropReason } from '../../src/index.js';

describe('public names', () => {
  it('EndpointDependency is one union in stun and vnet; the port allocation types differ in name', () => {
    expectTypeOf<EndpointDependency>().toEqualTypeOf<VnetDependency>();
    expectTypeOf<PortAllocationReport['pattern']>().not.toEqualTypeOf<VnetPortAllocation>();
    expectTypeOf<ServerDropReason>().toExtend<string>();
    const report: PortAllocationReport = classifyPortAllocation([]);
    expect(report.pattern).toBe('unknown');
  });
});
