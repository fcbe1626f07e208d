import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'vitest';
import { findTool, missingToolReason, type LabTool } from './tools.js';

/**
 * What a suite needs from the machine. One check for every suite that runs something nobody
 * here wrote (coturn, the Debian stun client, tcpdump, node-datachannel) or needs the kernel's
 * namespaces: `describeLab` and `describeInterop` both go through `describeWhen` below.
 */
export interface Prerequisites {
  /** External programs, looked up on PATH (without node_modules). */
  readonly tools?: readonly LabTool[];
  /** npm packages whose native part must load in this Node. */
  readonly nativeModules?: readonly NativeModule[];
  /** Root: namespaces, nftables, packet capture. */
  readonly root?: boolean;
  /** `ip netns list` works (implies Linux). */
  readonly netns?: boolean;
  /** The kernel has IPv6. */
  readonly ipv6?: boolean;
}

/** npm packages with a native addon that a suite may depend on. */
export type NativeModule = 'node-datachannel';

export interface LabCapability {
  ok: boolean;
  /** Why the suite cannot run here (empty when ok): every missing piece, and how to get it. */
  reason: string;
}

const REPO_ROOT = resolve(import.meta.dirname, '../../..');

const nativeModuleHelp: Readonly<Record<NativeModule, string>> = {
  'node-datachannel':
    'its binary comes from the npm optional dependency @node-datachannel/<platform> that `npm ci` installs ' +
    '(not with --omit=optional); no Debian package provides it, and it needs only glibc',
};

const nativeMemo = new Map<string, string | null>();

/** Loads the module in a child Node run in `root` (a broken addon must not take the test worker down). */
function nativeModuleProblem(name: NativeModule, root: string): string | null {
  const key = `${name}\0${root}`;
  const known = nativeMemo.get(key);
  if (known !== undefined) return known;
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(name)})`], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  const firstLine = (r.stderr ?? '').split('\n').find((line) => /Error|Cannot/.test(line)) ?? r.error?.message ?? `exit ${r.status}`;
  const problem = r.status === 0 ? null : `${name}'s native module does not load (${firstLine.trim().slice(0, 300)}): ${nativeModuleHelp[name]}`;
  nativeMemo.set(key, problem);
  return problem;
}

function platformProblems(needs: Prerequisites): string[] {
  const problems: string[] = [];
  if ((needs.netns === true || needs.root === true) && process.platform !== 'linux') {
    problems.push(`network namespaces need Linux (this is ${process.platform})`);
  } else if (needs.root === true && process.getuid?.() !== 0) {
    problems.push('needs root (network namespaces, nftables, packet capture)');
  }
  if (needs.ipv6 === true && process.platform === 'linux' && !existsSync('/proc/sys/net/ipv6')) {
    problems.push('the kernel has no IPv6 (/proc/sys/net/ipv6 is missing)');
  }
  return problems;
}

/**
 * Can this machine run a suite with these needs? `searchPath` is the PATH the tools are looked
 * up on (default process.env.PATH); `moduleRoot` the directory native modules are loaded from
 * (default the repository). Synchronous, so it can gate a describe().
 */
export function checkPrerequisites(needs: Prerequisites, searchPath: string = process.env.PATH ?? '', moduleRoot: string = REPO_ROOT): LabCapability {
  const problems = platformProblems(needs);
  const tools = [...new Set(needs.tools ?? [])];
  if (tools.some((tool) => findTool(tool, searchPath) === undefined)) problems.push(missingToolReason(tools, searchPath));
  for (const name of needs.nativeModules ?? []) {
    const problem = nativeModuleProblem(name, moduleRoot);
    if (problem !== null) problems.push(problem);
  }
  if (problems.length === 0 && needs.netns === true) {
    const list = spawnSync(findTool('ip', searchPath)!, ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
    if (list.status !== 0) problems.push(`'ip netns list' failed: ${(list.stderr ?? '').trim()}`);
  }
  return { ok: problems.length === 0, reason: problems.join('; ') };
}

/** True when CI=true: then a missing prerequisite is a failure, never a skip. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * describe() gated on a capability. Where it is not ok: under CI=true the suite fails with the
 * reason (one failing test); elsewhere it is skipped with a visible `[kind] skipping` warning
 * saying why. It never passes silently.
 */
export function describeWhen(kind: string, capability: LabCapability, name: string, body: () => void): void {
  if (capability.ok) {
    describe(name, body);
    return;
  }
  if (isCi()) {
    describe(name, () => {
      it(`has its prerequisites (CI=true: ${kind} suites may not be skipped)`, () => {
        throw new Error(`${kind} suite cannot run: ${capability.reason}`);
      });
    });
    return;
  }
  // eslint-disable-next-line no-console -- the one visible message for a skipped suite
  console.warn(`[${kind}] skipping "${name}": ${capability.reason}`);
  describe.skip(name, body);
}

/**
 * describe() for suites that run independent programs outside the lab's namespaces (coturn's
 * tools on loopback, node-datachannel, tcpdump): skipped with the reason, or failed under CI.
 *
 * @example
 * describeInterop('TURN interop: turnutils_uclient', { tools: ['turnutils_uclient', 'turnutils_peer'] }, () => { ... });
 * describeInterop('relay with node-datachannel', { nativeModules: ['node-datachannel'] }, () => { ... });
 * describeInterop('capture on lo', { tools: ['tcpdump'], root: true }, () => { ... });
 */
export function describeInterop(name: string, needs: Prerequisites, body: () => void): void {
  describeWhen('interop', checkPrerequisites(needs), name, body);
}
