import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** External commands the lab relies on, by the name a Debian package installs them under. */
export type LabTool =
  | 'ip'
  | 'nft'
  | 'sysctl'
  | 'ss'
  | 'tc'
  | 'turnserver'
  | 'turnutils_natdiscovery'
  | 'turnutils_stunclient'
  | 'stun';

// System directories first: these are Debian packages, and npm puts node_modules/.bin on PATH,
// where the `stun` devDependency (nodertc/stun) installs a *server* called `stun`.
const systemDirs = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const cache = new Map<string, string | undefined>();

/** Absolute path of a tool (system directories, then PATH without node_modules), or undefined. */
export function findTool(name: LabTool): string | undefined {
  if (cache.has(name)) return cache.get(name);
  const fromPath = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes('node_modules'));
  const dirs = [...systemDirs, ...fromPath];
  let found: string | undefined;
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      // not here
    }
  }
  cache.set(name, found);
  return found;
}

/** Absolute path of a tool, or a thrown error naming the Debian package that provides it. */
export function requireTool(name: LabTool): string {
  const path = findTool(name);
  if (path === undefined) throw new Error(`lab: '${name}' not found (install ${packageOf(name)})`);
  return path;
}

export function packageOf(name: LabTool): string {
  switch (name) {
    case 'ip':
    case 'ss':
    case 'tc':
      return 'iproute2';
    case 'nft':
      return 'nftables';
    case 'sysctl':
      return 'procps';
    case 'stun':
      return 'stun-client';
    default:
      return 'coturn';
  }
}
