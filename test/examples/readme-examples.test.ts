/**
 * The README examples are files in examples/ that `tsc -b` type-checks under the repository's
 * strict settings; here each one runs (loopback and the virtual network only) and the READMEs
 * are checked to show exactly those files (issue 10, item 5).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const READMES = ['README.md', 'packages/net/README.md', 'packages/stun/README.md', 'packages/vnet/README.md', 'packages/punch/README.md', 'apps/cli/README.md', 'test/lab/README.md'];

/** What each example prints (the comments in the files say the same). */
const EXPECTED: Record<string, RegExp> = {
  'diagnose.ts': /^open-internet direct$/m,
  'net-loopback.ts': /^hello from port \d+$/m,
  'punch-vnet.ts': /^birthday P\(direct\) = 0\.990 Bob opens 256 sockets\nalice direct to 203\.0\.113\.\d+:\d+ after \d+ ms, \d+ datagrams sent\nbob direct to 203\.0\.113\.\d+:\d+ after \d+ ms, \d+ datagrams sent$/m,
  'stun-codec.ts': /^mapped \{ address: '127\.0\.0\.1', port: \d+ \}\norigin \{ address: '127\.0\.0\.1', port: \d+ \} other \{ address: '127\.0\.0\.2', port: \d+ \}$/m,
  'stun-diagnose-vnet.ts': /^symmetric address-and-port-dependent address-and-port-dependent random$/m,
  'vnet-two-nats.ts': /^dropped: no-mapping at natB\nhello from 203\.0\.113\.11:5000$/m,
};

const examples = (await readdir(join(root, 'examples'))).filter((f) => f.endsWith('.ts')).sort();

describe('README examples', () => {
  it('every example file is shown in a README, and every README block equals its file', async () => {
    const shown = new Set<string>();
    for (const readme of READMES) {
      for (const m of (await readFile(join(root, readme), 'utf8')).matchAll(/<!-- example: examples\/(\S+) -->/g)) shown.add(m[1]!);
    }
    expect([...shown].sort()).toEqual(examples);
    await expect(run(process.execPath, [join(root, 'scripts/sync-readme-examples.mjs'), '--check'], { cwd: root })).resolves.toMatchObject({
      stdout: expect.stringContaining(`${examples.length} README example blocks in sync`),
    });
  });

  it('no document links outside the repository', async () => {
    for (const readme of READMES) expect(await readFile(join(root, readme), 'utf8'), readme).not.toMatch(/\.\.\/shared|\/work\//);
  });

  it.each(examples)('%s runs and prints what its comments say', async (file) => {
    const built = join(root, 'examples/dist', file.replace(/\.ts$/, '.js'));
    expect(existsSync(built), `${built}: run npx tsc -b first`).toBe(true);
    const { stdout } = await run(process.execPath, [built], { cwd: root, timeout: 15_000 });
    const expected = EXPECTED[file];
    expect(expected, `${file}: add what it prints to EXPECTED`).toBeDefined();
    expect(stdout).toMatch(expected!);
  });
});
