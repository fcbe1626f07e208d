import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { findTool, packageOf, type LabTool } from './tools.js';

export interface LabCapability {
  ok: boolean;
  /** Why the lab cannot run here (empty when ok). */
  reason: string;
}

const baseTools: readonly LabTool[] = ['ip', 'nft', 'sysctl', 'ss'];
const memo = new Map<string, LabCapability>();

/**
 * Can this machine run the lab? Needs root (namespaces, nftables) and the tools listed (the
 * base set - ip, nft, sysctl, ss - is always checked). Synchronous so it can gate a describe().
 */
export function checkLabCapability(extraTools: readonly LabTool[] = []): LabCapability {
  const tools = [...new Set([...baseTools, ...extraTools])];
  const key = tools.join(',');
  const known = memo.get(key);
  if (known) return known;
  const result = probe(tools);
  memo.set(key, result);
  return result;
}

function probe(tools: readonly LabTool[]): LabCapability {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the lab needs root (network namespaces and nftables)' };
  const missing = tools.filter((tool) => findTool(tool) === undefined);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(packageOf))].join(' ');
    return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install ${packages})` };
  }
  const list = spawnSync(findTool('ip')!, ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  if (list.status !== 0) return { ok: false, reason: `'ip netns list' failed: ${(list.stderr ?? '').trim()}` };
  return { ok: true, reason: '' };
}

/** For labs with IPv6 sites: the kernel must have IPv6 (not booted with ipv6.disable=1). */
export function checkIpv6Capability(): LabCapability {
  if (process.platform === 'linux' && !existsSync('/proc/sys/net/ipv6')) {
    return { ok: false, reason: 'the kernel has no IPv6 (/proc/sys/net/ipv6 is missing)' };
  }
  return { ok: true, reason: '' };
}

/** True when CI=true: then a missing prerequisite is a failure, never a skip. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * describe() for lab suites. Where the lab cannot run: under CI the suite fails loudly with the
 * reason; elsewhere it is skipped with a visible warning saying why. It never passes silently.
 * `needs.ipv6`: the suite builds IPv6 sites, so the kernel must have IPv6 too.
 */
export function describeLab(name: string, tools: readonly LabTool[], body: () => void, needs: { ipv6?: boolean } = {}): void {
  const base = checkLabCapability(tools);
  const capability = base.ok && needs.ipv6 === true ? checkIpv6Capability() : base;
  if (capability.ok) {
    describe(name, body);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      it('has the lab prerequisites (CI=true: a lab suite may not be skipped)', () => {
        throw new Error(`lab cannot run: ${capability.reason}`);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console -- the one visible message for a skipped lab suite
  console.warn(`[lab] skipping "${name}": ${capability.reason}`);
  describe.skip(name, body);
}
