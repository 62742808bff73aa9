// The engine's suite alone (test/ and test/reliability/), for `npm run test:asan`: the
// consumer packages exercise JS over the same addon calls.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({ ...base, test: { ...base.test, include: ['test/**/*.test.ts'] } });
