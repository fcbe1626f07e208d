/**
 * Every published workspace package installs from its `npm pack` tarball into a fresh project
 * and works from ESM, with types that match what runs (issue 10, item 4). Packages are found
 * from the root `workspaces` list, so new ones are checked without editing this test. No
 * network: the tarballs are local files and their registry dependencies come from npm's cache.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

interface Workspace {
  readonly dir: string;
  readonly name: string;
  /** Has an importable entry point (apps only ship a bin). */
  readonly library: boolean;
  readonly bin: readonly string[];
}

async function publishedWorkspaces(): Promise<Workspace[]> {
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dirs: string[] = [];
  for (const pattern of manifest.workspaces) {
    if (!pattern.endsWith('/*')) {
      dirs.push(join(root, pattern));
      continue;
    }
    const parent = join(root, pattern.slice(0, -2));
    for (const entry of await readdir(parent, { withFileTypes: true })) if (entry.isDirectory()) dirs.push(join(parent, entry.name));
  }
  const out: Workspace[] = [];
  for (const dir of dirs) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(await readFile(file, 'utf8')) as { name: string; private?: boolean; exports?: Record<string, unknown>; bin?: Record<string, string> };
    if (pkg.private === true) continue;
    out.push({ dir, name: pkg.name, library: pkg.exports?.['.'] !== undefined, bin: Object.keys(pkg.bin ?? {}) });
  }
  return out;
}

/** Folders in the repository's node_modules of every non-workspace dependency, transitively. */
async function externalDependencies(list: readonly Workspace[]): Promise<string[]> {
  const names = new Set(list.map((w) => w.name));
  const queue = [...list.map((w) => w.dir)];
  const found = new Set<string>();
  for (let i = 0; i < queue.length && i < 500; i++) {
    const pkg = JSON.parse(await readFile(join(queue[i]!, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (names.has(dep) || found.has(dep)) continue;
      found.add(dep);
      queue.push(join(root, 'node_modules', dep));
    }
  }
  return [...found].map((d) => join(root, 'node_modules', d));
}

let workspaces: Workspace[] = [];
let project = '';
const tarballFiles = new Map<string, string[]>();

beforeAll(async () => {
  workspaces = await publishedWorkspaces();
  project = await mkdtemp(join(tmpdir(), 'natkit-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project, ...workspaces.flatMap((w) => ['-w', w.dir])], {
    cwd: root,
    maxBuffer: 16 << 20,
  });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; filename: string; files: { path: string }[] }[];
  for (const p of packed) tarballFiles.set(p.name, p.files.map((f) => f.path));
  // Registry dependencies are packed from the repository's node_modules, so nothing is fetched.
  const external = await externalDependencies(workspaces);
  const { stdout: deps } = external.length === 0 ? { stdout: '[]' } : await run('npm', ['pack', '--json', '--pack-destination', project, ...external], { cwd: root });
  const depFiles = (JSON.parse(deps.slice(deps.indexOf('['))) as { filename: string }[]).map((p) => p.filename);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const tarballs = [...packed.map((p) => p.filename), ...depFiles].map((f) => join(project, f));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs], { cwd: project });
}, 120_000);

afterAll(async () => {
  if (project !== '') await rm(project, { recursive: true, force: true });
});

describe('packages install from their tarballs', () => {
  it('finds the workspace packages (the list is read, not written here)', () => {
    expect(workspaces.map((w) => w.name)).toEqual(expect.arrayContaining(['@natkit/net', '@natkit/stun', '@natkit/vnet', 'natkit']));
  });

  it('each tarball ships its code, types, LICENSE, and every source its maps point at', () => {
    for (const w of workspaces) {
      const files = new Set(tarballFiles.get(w.name));
      expect(files.has('LICENSE'), `${w.name} LICENSE`).toBe(true);
      if (w.library) expect([files.has('dist/index.js'), files.has('dist/index.d.ts')], w.name).toEqual([true, true]);
      for (const f of files) {
        if (!f.endsWith('.map')) continue;
        const inDir = f.slice(0, f.lastIndexOf('/') + 1);
        const installed = join(project, 'node_modules', w.name, f);
        const map = JSON.parse(ts.sys.readFile(installed) ?? '{}') as { sources?: string[] };
        for (const s of map.sources ?? []) expect(files.has(join(inDir, s)), `${w.name}: ${f} -> ${s}`).toBe(true);
      }
    }
  });

  it('imports from ESM, and the runtime exports are exactly the value exports of the types', async () => {
    const libraries = workspaces.filter((w) => w.library);
    const consumer = join(project, 'consumer.ts');
    await writeFile(consumer, libraries.map((w, i) => `import * as m${i} from '${w.name}';\nexport { m${i} };\n`).join(''));
    const program = ts.createProgram([consumer], strictConsumerOptions());
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics, 'strict compile against the installed types').toEqual([]);
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(consumer);
    if (source === undefined) throw new Error('consumer not in program');
    const imports = source.statements.filter(ts.isImportDeclaration);
    for (const [i, w] of libraries.entries()) {
      const moduleSymbol = checker.getSymbolAtLocation(imports[i]!.moduleSpecifier);
      if (moduleSymbol === undefined) throw new Error(`${w.name}: no types resolved`);
      const typed = checker
        .getExportsOfModule(moduleSymbol)
        .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) !== 0)
        .map((s) => s.name)
        .sort();
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import * as m from '${w.name}'; console.log(JSON.stringify(Object.keys(m).sort()))`], {
        cwd: project,
      });
      expect(JSON.parse(stdout), w.name).toEqual(typed);
      expect(typed.length, w.name).toBeGreaterThan(0);
    }
  });

  it('CommonJS is not supported, and both the types and the runtime say so', async () => {
    const libraries = workspaces.filter((x) => x.library);
    const cjs = join(project, 'consumer.cts');
    await writeFile(cjs, libraries.map((w, i) => `import m${i} = require('${w.name}');\nexport const k${i} = Object.keys(m${i});\n`).join(''));
    const program = ts.createProgram([cjs], { ...strictConsumerOptions(), skipLibCheck: true });
    const failedLines = new Set(
      ts.getPreEmitDiagnostics(program).flatMap((d) => (d.file === undefined || d.start === undefined ? [] : [d.file.getLineAndCharacterOfPosition(d.start).line])),
    );
    for (const [i, w] of libraries.entries()) {
      expect(failedLines.has(2 * i), `${w.name}: a CommonJS consumer must not compile`).toBe(true);
      const attempt = run(process.execPath, ['-e', `require('${w.name}')`], { cwd: project });
      await expect(attempt, w.name).rejects.toMatchObject({ stderr: expect.stringContaining('ERR_PACKAGE_PATH_NOT_EXPORTED') });
    }
  });

  it('the installed command runs', async () => {
    for (const w of workspaces) {
      for (const bin of w.bin) {
        const { stdout } = await run(join(project, 'node_modules', '.bin', bin), ['--help'], { cwd: project });
        expect(stdout, bin).toContain('Usage');
      }
    }
  });
});

/** The repository's own strict settings, for a consumer project with the packages installed. */
function strictConsumerOptions(): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  };
}
