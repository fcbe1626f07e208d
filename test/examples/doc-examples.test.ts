/**
 * The `@example` blocks of the doc comments (what the API reference shows for a package or a
 * function) compile under the repository's strict settings against the built packages, like the
 * README examples do (issue 10, items 5 and 7).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

interface DocExample {
  readonly where: string;
  readonly code: string;
}

async function docExamples(): Promise<DocExample[]> {
  const out: DocExample[] = [];
  for (const pkg of await readdir(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    const files = (await readdir(src, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.ts'));
    for (const file of files) {
      const text = await readFile(join(src, file), 'utf8');
      for (const m of text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)) {
        const code = m[1]!.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
        out.push({ where: `packages/${pkg}/src/${file}`, code });
      }
    }
  }
  return out;
}

const examples = await docExamples();

describe('doc comment examples', () => {
  it('there are some (the packages document their entry points with one)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it('each compiles under the strict settings', () => {
    const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), (p) => ts.sys.readFile(p));
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const compilerOptions: ts.CompilerOptions = { ...options, noEmit: true, composite: false, incremental: false, declaration: false, declarationMap: false };
    // Virtual files at the repository root: ESM (the root package is "type": "module"), and
    // @natkit/* resolves through node_modules to the built packages, as for a user.
    const virtual = new Map(examples.map((e, i) => [join(root, `doc-example-${i}.ts`), `${e.code}\nexport {};\n`]));
    const host = ts.createCompilerHost(compilerOptions);
    const readFileFromDisk = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = (f) => virtual.has(f) || ts.sys.fileExists(f);
    host.readFile = (f) => virtual.get(f) ?? readFileFromDisk(f);
    host.getSourceFile = (f, language) => {
      const text = virtual.get(f);
      return text === undefined ? getSourceFile(f, language) : ts.createSourceFile(f, text, language);
    };
    const program = ts.createProgram([...virtual.keys()], compilerOptions, host);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const index = d.file === undefined ? -1 : [...virtual.keys()].indexOf(d.file.fileName);
      return `${examples[index]?.where ?? d.file?.fileName ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(problems).toEqual([]);
  });
});
