// Keeps the README code blocks that show an example file identical to that file. A block is
// marked by the line `<!-- example: examples/name.ts -->` right before its opening fence.
//   node scripts/sync-readme-examples.mjs          rewrites the blocks from the files
//   node scripts/sync-readme-examples.mjs --check  exits 1 and names every block out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const READMES = ['README.md', 'packages/net/README.md', 'packages/stun/README.md', 'packages/vnet/README.md', 'packages/punch/README.md'];
const BLOCK = /<!-- example: (\S+) -->\n```(\w*)\n([\s\S]*?)```\n/g;
const check = process.argv.includes('--check');
const stale = [];
let blocks = 0;

for (const readme of READMES) {
  const path = join(root, readme);
  const text = readFileSync(path, 'utf8');
  const synced = text.replace(BLOCK, (_all, file, lang, body) => {
    blocks++;
    const source = readFileSync(join(root, file), 'utf8');
    if (body !== source) stale.push(`${readme}: the block of ${file}`);
    return `<!-- example: ${file} -->\n\`\`\`${lang || 'ts'}\n${source}\`\`\`\n`;
  });
  if (!check && synced !== text) writeFileSync(path, synced);
}

if (check && stale.length > 0) {
  console.error(`README examples out of date (run node scripts/sync-readme-examples.mjs):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
console.log(`${blocks} README example blocks ${check ? 'in sync' : 'synced'}`);
