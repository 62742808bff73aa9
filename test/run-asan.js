#!/usr/bin/env node
// `npm run test:asan`: builds the core and the addon with AddressSanitizer +
// UndefinedBehaviorSanitizer, runs the core unit tests under them, then the whole vitest
// suite against the sanitized addon (loaded into node with the ASan runtime preloaded).
// The same build counts coverage (gcov): at the end the coverage of native/core by all of
// these runs is printed, at no extra compile.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) {
    console.error(`ringclip test:asan: cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function output(cmd, args) {
  return spawnSync(cmd, args, { cwd: root, encoding: 'utf8' }).stdout.trim();
}

// One sanitized build tree for the addon and the core's unit tests: the core is compiled once.
run('npx', [
  'cmake-js',
  'configure',
  '--out',
  'build-asan',
  '--debug',
  '--CDRINGCLIP_SANITIZE=ON',
  '--CDRINGCLIP_CORE_TESTS=ON',
  '--CDRINGCLIP_COVERAGE=ON',
]);
run('npx', ['cmake-js', 'build', '--out', 'build-asan', '--debug']);
// Counters of an earlier run would add up with this one's.
for (const e of readdirSync(join(root, 'build-asan'), { withFileTypes: true, recursive: true })) {
  if (e.isFile() && e.name.endsWith('.gcda')) rmSync(join(e.parentPath, e.name));
}
run('ctest', ['--test-dir', 'build-asan', '--output-on-failure', '--parallel', '2']);
const addon = join(root, 'build-asan', 'Debug', 'ringclip.node');
if (!existsSync(addon)) {
  console.error(`ringclip test:asan: the sanitized addon was not built at ${addon}`);
  process.exit(1);
}
// node is not built with ASan: its runtime must be loaded first. Leak detection is off for
// the whole process (node and V8 keep memory until exit); the core's own leak checks run in
// the unit tests and the reliability suite.
const asanRuntime = output('g++', ['-print-file-name=libasan.so']);
const ubsanRuntime = output('g++', ['-print-file-name=libubsan.so']);
const env = {
  ...process.env,
  RINGCLIP_BINDING: addon,
  LD_PRELOAD: [asanRuntime, ubsanRuntime].join(' '),
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:allow_user_segv_handler=1:handle_segv=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  // Tests whose pace matters (a writer racing readers) slow their writer down under the sanitizers.
  RINGCLIP_SANITIZED: '1',
};
run('npx', ['tsc', '-p', 'tsconfig.json']);
run('npx', ['vitest', 'run', '--config', 'test/vitest.engine.config.ts', ...process.argv.slice(2)], env);
run('node', ['test/native-coverage.js', join(root, 'build-asan')]);
