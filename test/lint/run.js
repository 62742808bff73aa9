#!/usr/bin/env node
// `npm run lint`: every check that reads the code without running it, each reported by
// name, all run even when one fails.
// - typescript-eslint, type-aware, on lib/ and the packages' sources (test/lint/eslint.config.js);
// - the native warning set (native/warnings.txt) with -Werror under clang++ -fsyntax-only, so
//   the code is clean for both compilers (the build applies the same set under g++);
// - native/addon never reaches the store's locks or index (native/core/store/index_access.h);
// - prettier on every TypeScript and JavaScript file git tracks, clang-format on every C++
//   file under native/ (the whole tree was formatted once; a new file is checked as it lands).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The files git tracks that match `patterns` (lint runs in a checkout). */
function tracked(...patterns) {
  const r = spawnSync('git', ['ls-files', '-z', '--', ...patterns], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lint: git ls-files failed (lint checks a git checkout): ${r.stderr || r.error}`);
  return r.stdout.split('\0').filter(Boolean);
}
const formatted = {
  prettier: tracked('*.ts', '*.js', '*.mjs'),
  clangFormat: tracked('native/*.cpp', 'native/*.h'),
};
const failed = [];

function check(name, cmd, args, missing) {
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (r.error) {
    console.error(`lint: ${name}: cannot run ${cmd} (${r.error.message}). ${missing ?? ''}`);
    failed.push(name);
  } else if (r.status !== 0) {
    console.error(`lint: ${name} failed (${seconds} s)`);
    failed.push(name);
  } else {
    console.log(`lint: ${name} clean (${seconds} s)`);
  }
}

function gitFiles(...patterns) {
  const r = spawnSync('git', ['ls-files', ...patterns], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

check('eslint', 'npx', [
  'eslint',
  '--config',
  'test/lint/eslint.config.js',
  '--max-warnings',
  '0',
  'lib',
  'packages/cloud/src',
  'packages/device/src',
  'packages/simulation/src',
]);

const warnings = readFileSync(join(root, 'native', 'warnings.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
const require = createRequire(import.meta.url);
const addonApi = require('node-addon-api').include_dir;
// The Node-API headers the addon is built against: cmake-js's own (CMAKE_JS_INC).
const nodeHeaders = createRequire(require.resolve('cmake-js'))('node-api-headers').include_dir;
// One clang++ per source file, two at a time (the machine has two cores).
check(
  'clang++ warnings',
  'bash',
  [
    '-c',
    'printf "%s\\0" "${@:2}" | xargs -0 -P2 -n1 bash -c "$1"',
    'lint',
    [
      'clang++ -std=c++20 -fsyntax-only -Werror',
      ...warnings,
      '-Inative/core',
      `-isystem ${nodeHeaders}`,
      `-isystem ${addonApi}`,
      '-DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DRINGCLIP_FIXTURES=\\"\\" "$0"',
    ].join(' '),
    ...gitFiles('native/*.cpp'),
  ],
  'apt-get install clang',
);

// The addon converts arguments and results: the store's locks and index are the core's
// (native/core/store/index_access.h is their one way in, for the core's own readers).
check('addon boundary', 'bash', [
  '-c',
  'if grep -rnE "IndexAccess|index_access\\.h" native/addon; then echo "native/addon must call the core, not reach into the store (see index_access.h)"; exit 1; fi',
]);

check('prettier', 'npx', ['prettier', '--check', '--log-level', 'warn', ...formatted.prettier]);
check(
  'clang-format',
  'clang-format',
  ['--dry-run', '--Werror', ...formatted.clangFormat],
  'apt-get install clang-format',
);

if (failed.length > 0) {
  console.error(`lint: ${failed.length} check(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}
