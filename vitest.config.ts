import { defineConfig } from 'vitest/config';

// Three projects: fast unit/integration tests (loopback and the virtual network), the real-NAT
// lab (root, network namespaces, nftables), and interop with independent implementations.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/examples/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          // Packs every workspace package and installs the tarballs into a fresh project.
          name: 'packaging',
          include: ['test/packaging/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts', 'test/interop/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Namespaces are cheap but the machine has 2 cores; lab files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
