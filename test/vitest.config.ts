import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    // Native addons stay in forked processes: the threads pool can crash them.
    pool: 'forks',
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // On with --coverage (npm test passes it): V8's own counters, no instrumentation.
    coverage: {
      provider: 'v8',
      include: ['lib/**/*.ts', 'packages/*/src/**/*.ts'],
      reporter: ['text-summary', ['text', { skipFull: true }]],
      reportsDirectory: 'build/coverage/js',
      // The gate of issue 20: lib/, the API people use, has each branch taken by a test.
      thresholds: { 'lib/**/*.ts': { branches: 90 } },
    },
  },
});
