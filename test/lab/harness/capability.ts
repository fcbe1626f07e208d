import { checkPrerequisites, describeWhen, isCi, type LabCapability } from './prerequisites.js';
import type { LabTool } from './tools.js';

export { isCi, type LabCapability };

const baseTools: readonly LabTool[] = ['ip', 'nft', 'sysctl', 'ss'];
const memo = new Map<string, LabCapability>();

/**
 * Can this machine run the lab? Needs root (namespaces, nftables) and the tools listed (the
 * base set - ip, nft, sysctl, ss - is always checked). Synchronous so it can gate a describe().
 */
export function checkLabCapability(extraTools: readonly LabTool[] = []): LabCapability {
  const tools = [...new Set([...baseTools, ...extraTools])];
  const key = `${tools.join(',')}\0${process.env.PATH ?? ''}`;
  const known = memo.get(key);
  if (known) return known;
  const result = checkPrerequisites({ root: true, netns: true, tools });
  memo.set(key, result);
  return result;
}

/** For labs with IPv6 sites: the kernel must have IPv6 (not booted with ipv6.disable=1). */
export function checkIpv6Capability(): LabCapability {
  return checkPrerequisites({ ipv6: true });
}

/**
 * describe() for lab suites. Where the lab cannot run: under CI the suite fails loudly with the
 * reason; elsewhere it is skipped with a visible `[lab] skipping` warning saying why. It never
 * passes silently. `needs.ipv6`: the suite builds IPv6 sites, so the kernel must have IPv6 too.
 * The same mechanism as describeInterop (prerequisites.ts).
 */
export function describeLab(name: string, tools: readonly LabTool[], body: () => void, needs: { ipv6?: boolean } = {}): void {
  const base = checkLabCapability(tools);
  const capability = base.ok && needs.ipv6 === true ? checkIpv6Capability() : base;
  describeWhen('lab', capability, name, body);
}
