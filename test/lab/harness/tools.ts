import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * External programs the lab and interop suites run, by the name their Debian package installs
 * them under, with that package. `.ci/run` installs every package named here (a test checks it).
 */
export const debianPackageOf = {
  ip: 'iproute2',
  ss: 'iproute2',
  tc: 'iproute2',
  nft: 'nftables',
  sysctl: 'procps',
  conntrack: 'conntrack',
  tcpdump: 'tcpdump',
  unshare: 'util-linux',
  turnserver: 'coturn',
  turnutils_natdiscovery: 'coturn',
  turnutils_stunclient: 'coturn',
  turnutils_uclient: 'coturn',
  turnutils_peer: 'coturn',
  stun: 'stun-client',
  openssl: 'openssl',
} as const;

export type LabTool = keyof typeof debianPackageOf;

export function isLabTool(name: string): name is LabTool {
  return Object.hasOwn(debianPackageOf, name);
}

export function packageOf(name: LabTool): string {
  return debianPackageOf[name];
}

// Where Debian installs administrative tools; only used to say "installed, but not on PATH".
const sbinDirs = ['/usr/sbin', '/sbin', '/usr/local/sbin'];
const cache = new Map<string, string | undefined>();

/**
 * PATH without node_modules directories: npm puts node_modules/.bin first, where the `stun`
 * devDependency (nodertc/stun) installs a *server* called `stun`, not the Debian client.
 */
function searchDirs(searchPath: string): string[] {
  return searchPath.split(delimiter).filter((dir) => dir !== '' && !dir.includes('node_modules'));
}

function executableIn(dirs: readonly string[], name: string): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Absolute path of a tool found on `searchPath` (default: PATH, less node_modules), or undefined.
 * Only PATH counts, as for the commands the lab runs by name inside namespaces: a test that
 * gives a PATH lacking the tool sees it missing.
 */
export function findTool(name: LabTool, searchPath: string = process.env.PATH ?? ''): string | undefined {
  const key = `${name}\0${searchPath}`;
  if (cache.has(key)) return cache.get(key);
  const found = executableIn(searchDirs(searchPath), name);
  cache.set(key, found);
  return found;
}

/**
 * Why tools are missing, in words a user can act on: each tool with the Debian package that has
 * it and one apt-get line; or, for a tool installed in an sbin directory that is not on PATH, where.
 */
export function missingToolReason(names: LabTool | readonly LabTool[], searchPath: string = process.env.PATH ?? ''): string {
  const missing = [...new Set(typeof names === 'string' ? [names] : names)].filter((name) => findTool(name, searchPath) === undefined);
  const parts: string[] = [];
  const absent: LabTool[] = [];
  for (const name of missing) {
    const elsewhere = executableIn(sbinDirs, name);
    if (elsewhere !== undefined) parts.push(`'${name}' is at ${elsewhere}, but its directory is not on PATH`);
    else absent.push(name);
  }
  if (absent.length > 0) {
    const packages = [...new Set(absent.map(packageOf))];
    const listed = absent.map((name) => `${name} (Debian package ${packageOf(name)})`).join(', ');
    parts.unshift(`not found on PATH: ${listed}; apt-get install ${packages.join(' ')}`);
  }
  return parts.join('; ');
}

/** Absolute path of a tool, or a thrown error naming the Debian package that provides it. */
export function requireTool(name: LabTool): string {
  const path = findTool(name);
  if (path === undefined) throw new Error(`lab: ${missingToolReason(name)}`);
  return path;
}
