#!/usr/bin/env node
// Builds the optional batched-UDP addon (native/udp-batch.c -> build/udp-batch.node) at install.
// Never fails the install: without Linux, a C compiler or the Node-API headers it prints one line
// and the Node adapter uses node:dgram. CC picks the compiler (default cc). Set
// NATKIT_SKIP_NATIVE=1 to skip the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'udp-batch.node');
const note = (why) => console.log(`@natkit/net: batched UDP I/O addon not built (${why}); UDP uses node:dgram`);

function headers() {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
  } catch {
    return undefined;
  }
}

function main() {
  if (process.platform !== 'linux') return note(`recvmmsg/sendmmsg are Linux-only, this is ${process.platform}`);
  if (process.env.NATKIT_SKIP_NATIVE === '1') return note('NATKIT_SKIP_NATIVE=1');
  const include = headers();
  if (include === undefined || !existsSync(join(include, 'node_api.h'))) return note('the node-api-headers package is missing');
  mkdirSync(join(root, 'build'), { recursive: true });
  const tmp = join(root, 'build', `udp-batch.${process.pid}.tmp.node`);
  const cc = process.env.CC || 'cc';
  const args = ['-O2', '-std=gnu11', '-Wall', '-shared', '-fPIC', '-fvisibility=hidden', `-I${include}`, join(root, 'native', 'udp-batch.c'), '-o', tmp];
  const built = spawnSync(cc, args, { encoding: 'utf8', timeout: 120_000 });
  if (built.error !== undefined || built.status !== 0) {
    rmSync(tmp, { force: true });
    const why = built.error?.code === 'ENOENT' ? `no C compiler: '${cc}' not found` : `${cc} failed: ${(built.stderr || String(built.error)).trim().split('\n')[0]}`;
    return note(why);
  }
  // It must load in this Node (libuv 1.x, Node-API 8) before it replaces a previous build.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(tmp)})`], { encoding: 'utf8', timeout: 60_000 });
  if (check.status !== 0) {
    rmSync(tmp, { force: true });
    return note(`it does not load: ${(check.stderr || '').trim().split('\n')[0]}`);
  }
  renameSync(tmp, out);
  console.log('@natkit/net: built the batched UDP I/O addon (recvmmsg/sendmmsg)');
}

try {
  main();
} catch (e) {
  note(e instanceof Error ? e.message : String(e));
}
