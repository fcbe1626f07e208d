import { spawnSync } from 'node:child_process';
import { findTool } from './tools.js';

/**
 * Last-resort cleanup: if the test process exits (or is interrupted) with labs still open, kill
 * the pids they started and delete the namespaces they created. Nothing else is touched: the
 * net only knows what labs registered.
 */
export interface LabResources {
  readonly pids: ReadonlySet<number>;
  readonly namespaces: readonly string[];
}

const open = new Set<LabResources>();
let installed = false;

export function registerLab(resources: LabResources): void {
  install();
  open.add(resources);
}

export function unregisterLab(resources: LabResources): void {
  open.delete(resources);
}

/** Synchronous teardown of one lab's leftovers (used from 'exit', where nothing async runs). */
export function destroySync(resources: LabResources): void {
  for (const pid of resources.pids) killQuietly(pid, true);
  const ip = findTool('ip');
  if (ip === undefined) return;
  for (const ns of resources.namespaces) {
    const pids = spawnSync(ip, ['netns', 'pids', ns], { encoding: 'utf8', timeout: 2000 });
    for (const line of (pids.stdout ?? '').split('\n')) {
      const pid = Number.parseInt(line, 10);
      if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) killQuietly(pid, false);
    }
    spawnSync(ip, ['netns', 'del', ns], { timeout: 2000 });
  }
}

/** `group`: the pid leads a process group the lab created (children are spawned detached). */
function killQuietly(pid: number, group: boolean): void {
  for (const target of group ? [-pid, pid] : [pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  const sweep = () => {
    for (const resources of [...open]) destroySync(resources);
    open.clear();
  };
  process.once('exit', sweep);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      sweep();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}
