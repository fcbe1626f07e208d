import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, debianPackageOf, findTool } from './harness/index.js';

/*
 * The skip-or-fail gate of every lab and interop suite, proven with PATHs that lack a tool (never
 * by uninstalling it): a fake executable in a temp directory stands for "installed".
 */
const REPO = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'natkit-prereq-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function dirWith(name: string, tools: readonly string[]): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

describe('prerequisites: tools are looked up on PATH', () => {
  it('names each missing tool with its Debian package and one apt-get line', () => {
    const empty = dirWith('empty', []);
    const r = checkPrerequisites({ tools: ['turnutils_uclient', 'turnutils_peer', 'stun', 'tcpdump'] }, empty);
    expect(r.ok).toBe(false);
    expect(r.reason).toContain('turnutils_uclient (Debian package coturn)');
    expect(r.reason).toContain('stun (Debian package stun-client)');
    expect(r.reason).toContain('tcpdump (Debian package tcpdump)');
    expect(r.reason).toContain('apt-get install coturn stun-client tcpdump');
  });

  it('finds a tool in a PATH directory, and only the ones missing are named', () => {
    const some = dirWith('some', ['turnutils_uclient', 'turnutils_peer']);
    expect(checkPrerequisites({ tools: ['turnutils_uclient', 'turnutils_peer'] }, some)).toEqual({ ok: true, reason: '' });
    const r = checkPrerequisites({ tools: ['turnutils_uclient', 'stun'] }, some);
    expect(r.ok).toBe(false);
    expect(r.reason).not.toContain('turnutils_uclient');
    expect(r.reason).toContain('stun (Debian package stun-client)');
  });

  it("ignores node_modules directories (npm's `stun` there is a server, not the Debian client)", () => {
    const npmBin = dirWith('node_modules/.bin', ['stun']);
    expect(findTool('stun', npmBin)).toBeUndefined();
    expect(checkPrerequisites({ tools: ['stun'] }, npmBin).reason).toContain('stun (Debian package stun-client)');
  });

  it("names a native module that does not load, and where it comes from (node-datachannel: npm, not Debian)", () => {
    // From an empty directory nothing resolves node-datachannel: as after `npm ci --omit=optional`.
    const r = checkPrerequisites({ nativeModules: ['node-datachannel'] }, process.env.PATH ?? '', dirWith('no-modules', []));
    expect(r.ok).toBe(false);
    expect(r.reason).toContain("node-datachannel's native module does not load (");
    expect(r.reason).toContain('@node-datachannel/<platform>');
    expect(r.reason).toContain('no Debian package provides it');
  });

  it(".ci/run installs the Debian package of every tool a suite can ask for (its list is the one source)", () => {
    const ciRun = readFileSync(join(REPO, '.ci/run'), 'utf8');
    const listed = /^packages=\(([^)]*)\)/m.exec(ciRun)?.[1]?.trim().split(/\s+/) ?? [];
    expect(listed.length).toBeGreaterThan(0);
    for (const pkg of new Set(Object.values(debianPackageOf))) expect(listed).toContain(pkg);
    // The README quotes the list: it must be this one.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(`(today: \`${listed.join(' ')}\`)`);
  });
});

describe('prerequisites: a suite whose tool is missing from PATH', () => {
  const vitest = join(REPO, 'node_modules/vitest/vitest.mjs');
  const config = join(REPO, 'test/lab/fixtures/prerequisites.vitest.config.ts');

  function runFixture(path: string, ci: boolean): { code: number | null; out: string } {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: path, FIXTURE_TOOL_DIR: path, NO_COLOR: '1', FORCE_COLOR: '0' };
    delete env.CI;
    delete env.VITEST;
    if (ci) env.CI = 'true';
    const r = spawnSync(process.execPath, [vitest, 'run', '--config', config], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  it('is skipped with the tool and its Debian package named (not counted as passed)', () => {
    const r = runFixture(dirWith('bare', []), false);
    expect(r.out).toContain('[interop] skipping "fixture: needs turnutils_uclient": not found on PATH: turnutils_uclient (Debian package coturn)');
    expect(r.out).toMatch(/Tests\s+1 skipped \(1\)/);
    expect(r.code).toBe(0);
  });

  it('fails under CI=true, with the same reason', () => {
    const r = runFixture(dirWith('bare', []), true);
    expect(r.code).toBe(1);
    expect(r.out).toContain('interop suite cannot run: not found on PATH: turnutils_uclient (Debian package coturn); apt-get install coturn');
    expect(r.out).toMatch(/Tests\s+1 failed \(1\)/);
  });

  it('runs when the tool is on PATH', () => {
    const r = runFixture(dirWith('with-uclient', ['turnutils_uclient']), true);
    expect(r.out).toMatch(/Tests\s+1 passed \(1\)/);
    expect(r.code).toBe(0);
  });
});
