// Removes build outputs in ./dist whose source in ./src is gone (a renamed or deleted file), so
// that `npm pack` never ships stale modules. Run by each package's `prepack`, before `tsc -b`.
// Files with a live source are left alone: tests may be importing them at the same time.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUTPUT = /\.(d\.ts\.map|d\.ts|js\.map|js)$/;

function prune(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      prune(path);
      continue;
    }
    if (!OUTPUT.test(entry.name)) continue;
    const source = join('src', relative('dist', path)).replace(OUTPUT, '.ts');
    if (!existsSync(source)) rmSync(path);
  }
}

prune('dist');
