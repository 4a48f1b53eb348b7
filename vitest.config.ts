import { defineConfig } from 'vitest/config';

// The core runs in Node: real sharp, real tfjs, real files and processes. Forks (not threads)
// because native addons and the wasm backend are happiest with one process per test file.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
