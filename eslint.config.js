// @ts-check
import tseslint from 'typescript-eslint';

const layerRule = (from, forbidden, message) => ({
  files: [from],
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [group], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: ['./tsconfig.eslint.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'max-depth': ['error', 4],
    },
  },
  // Only apps print.
  { files: ['apps/**', 'test/bench/**', 'examples/**'], rules: { 'no-console': 'off' } },
  // Nothing below apps/ opens real sockets except the Node adapter.
  {
    files: ['packages/**/src/**/*.ts'],
    ignores: ['packages/net/src/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:dgram', message: 'Use the Network interface from @natkit/net.' },
            { name: 'node:tls', message: 'Use the StreamNetwork interface from @natkit/net.' },
            {
              name: 'node:net',
              importNames: ['createServer', 'createConnection', 'connect', 'Socket', 'Server'],
              message: 'Use the StreamNetwork interface from @natkit/net.',
            },
          ],
        },
      ],
    },
  },
  // Layers point down: wire codec < state machines < I/O adapters < public API.
  layerRule(
    'packages/stun/src/proto/**/*.ts',
    ['../transaction/*', '../client/*', '../server/*', '../discovery/*', 'node:dgram'],
    'The wire layer imports nothing above it.',
  ),
  layerRule(
    'packages/stun/src/transaction/**/*.ts',
    ['../client/*', '../server/*', '../discovery/*', 'node:dgram'],
    'State machines import only the wire layer.',
  ),
  layerRule(
    'packages/stun/src/client/**/*.ts',
    ['../server/*', '../discovery/*', 'node:dgram'],
    'The client adapter imports only the wire layer and the state machines.',
  ),
  layerRule(
    'packages/stun/src/server/**/*.ts',
    ['../client/*', '../discovery/*', 'node:dgram'],
    'The server imports only the wire layer.',
  ),
  layerRule(
    'packages/turn/src/client/**/*.ts',
    ['../server/*', '../listener/*', '../allocation/*', 'node:dgram', 'node:net', 'node:tls'],
    'The TURN client builds on the wire layer, auth helpers and the Network interface, not on the server.',
  ),
  layerRule(
    'packages/rendezvous/src/protocol/**/*.ts',
    ['../schedule/*', '../server/*', '../client/*', 'ws', 'node:http', 'node:net'],
    'The rendezvous protocol is pure: it imports nothing above it and no I/O.',
  ),
  layerRule(
    'packages/rendezvous/src/schedule/**/*.ts',
    ['../server/*', '../client/*', 'ws', 'node:http', 'node:net'],
    'Schedulers are pure: they import only the protocol.',
  ),
  layerRule(
    'packages/rendezvous/src/server/**/*.ts',
    ['../client/*'],
    'The server imports the protocol and the schedulers, not the client.',
  ),
  layerRule(
    'packages/rendezvous/src/client/**/*.ts',
    ['../server/*'],
    'The client imports the protocol and the schedulers, not the server.',
  ),
  layerRule(
    'packages/punch/src/wire/**/*.ts',
    ['../plan/*', '../engine/*', 'node:dgram'],
    'The punch wire layer imports nothing above it.',
  ),
  layerRule(
    'packages/punch/src/plan/**/*.ts',
    ['../engine/*', '../wire/*', 'node:*'],
    'Punch planners are pure: no I/O, no wire format, no engine.',
  ),
  layerRule(
    'packages/vnet/src/**/*.ts',
    ['node:dgram', '@natkit/stun'],
    'The virtual network knows nothing of the protocols that run over it.',
  ),
  layerRule(
    'packages/peer/src/session/**/*.ts',
    ['node:dgram', 'node:net', 'node:tls', 'node:fs', 'node:fs/*', '@natkit/net', '../*/*'],
    'Sessions are pure state machines: no I/O, nothing from the layers above.',
  ),
  layerRule(
    'packages/identity/src/**/*.ts',
    ['node:dgram', 'node:net', 'node:tls', '@natkit/*'],
    'Identity is the bottom layer: no network, no other natkit package.',
  ),
  // House style: a source file is named for one concept and stays under ~300 lines, a function
  // under ~60 lines of code (blank lines and comments not counted; nested functions count toward
  // the one that holds them).
  {
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  // Tests may use loose typing helpers from vitest.
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
