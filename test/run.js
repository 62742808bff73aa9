#!/usr/bin/env node
// `npm test`: the C++ core's unit tests (ctest), then the vitest suite against the addon,
// with coverage.
// The core is compiled once: the unit tests and the fuzz-input replays are built in the
// addon's own build tree (build/, made by `npm install`), so they reuse its objects.
// Prints how long each phase took at the end.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const phases = [];

function run(name, cmd, args, options = {}) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  phases.push([name, (performance.now() - started) / 1000]);
  if (r.error) {
    console.error(`ringclip test: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    printPhases();
    process.exit(r.status ?? 1);
  }
}

function printPhases() {
  const total = phases.reduce((n, [, s]) => n + s, 0);
  console.log(
    `\nringclip test phases: ${phases.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(', ')}; total ${total.toFixed(1)} s`,
  );
}

// configure (not compile alone, which keeps an existing configuration) adds the test
// targets to the tree npm install made; the addon's objects are reused.
run('core configure', 'npx', ['cmake-js', 'configure', '--out', 'build', '--CDRINGCLIP_CORE_TESTS=ON']);
run('core build', 'npx', ['cmake-js', 'build', '--out', 'build']);
run('core tests', 'ctest', ['--test-dir', 'build', '--output-on-failure', '--parallel', '2']);
// Child processes in the suite load the built package: compile lib/ first.
run('tsc', 'npm', ['run', '--silent', 'prepare']);
// The whole suite runs once, with V8 coverage of lib/ and packages/ (printed, and gated on
// lib/: test/vitest.config.ts); a run narrowed by arguments has no coverage (its figures
// would fail the gate for want of the other files' tests).
const narrowed = process.argv.length > 2;
run(narrowed ? 'vitest' : 'vitest with coverage', 'npx', [
  'vitest',
  'run',
  '--config',
  'test/vitest.config.ts',
  ...(narrowed ? [] : ['--coverage']),
  ...process.argv.slice(2),
]);
printPhases();
