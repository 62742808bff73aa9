import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    // Native addons stay in forked processes: the threads pool can crash them.
    pool: 'forks',
    // Two files at once, on this 2-core machine too: vitest's default (cores - 1) ran one at a
    // time, and most files wait on real time (cameras at 30 fps, Wi-Fi hops, browsers), not
    // on the CPU. Measured on a clean checkout: the suite took 540 s alone, 362 s two at once.
    maxWorkers: 2,
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
