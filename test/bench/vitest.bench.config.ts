import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The lab benchmarks (root, network namespaces): `npx vitest run --config test/bench/vitest.bench.config.ts`.
// Not part of `npm test` (the root config only includes *.test.ts). One file at a time, long timeouts:
// each benchmark bounds its own run well below them.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/bench/**/*.bench.ts'],
    testTimeout: 540_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    fileParallelism: false,
  },
});
