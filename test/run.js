#!/usr/bin/env node
// `npm test`: the C++ core's unit tests (ctest), then the vitest suite against the addon.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error) {
    console.error(`ringclip test: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const coreBuild = join(root, 'build-core');
run('cmake', ['-S', '.', '-B', coreBuild, '-G', 'Ninja', '-DRINGCLIP_CORE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', coreBuild]);
run('ctest', ['--test-dir', coreBuild, '--output-on-failure', '--verbose']);
// Child processes in the suite load the built package: compile lib/ first.
run('npm', ['run', '--silent', 'prepare']);
run('npx', ['vitest', 'run', '--config', 'test/vitest.config.ts', ...process.argv.slice(2)]);
