import { spawnSync } from 'node:child_process';
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

/** True when CI=true: then a missing prerequisite is a failure, never a skip. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * describe() for lab suites. Where the lab cannot run: under CI the suite fails loudly with the
 * reason; elsewhere it is skipped with a visible warning saying why. It never passes silently.
 */
export function describeLab(name: string, tools: readonly LabTool[], body: () => void): void {
  const capability = checkLabCapability(tools);
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
