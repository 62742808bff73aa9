#!/usr/bin/env node
// Prints the line and branch coverage of native/core that a build with RINGCLIP_COVERAGE
// (g++ --coverage) collected: `node test/native-coverage.js BUILD_DIR`. `npm run test:asan`
// builds that way and calls this after its runs, so the figures are those of the core's unit
// tests, the fuzz-input replays and the whole engine suite through the addon together.
// Each source file of the core is compiled once, so its counters are its own; code inlined
// from headers is counted in the .cpp files that use it and not listed apart.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = process.argv[2];
if (!build) {
  console.error('usage: node test/native-coverage.js BUILD_DIR');
  process.exit(2);
}
const objects = join(build, 'CMakeFiles', 'ringclip_core.dir');

function gcdaFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.gcda'))
    .map((e) => join(e.parentPath, e.name));
}

const counts = gcdaFiles(objects);
if (counts.length === 0) {
  console.error(`native coverage: no .gcda files under ${objects}: was it built with RINGCLIP_COVERAGE=ON and run?`);
  process.exit(1);
}

// gcov -n prints, for each source file of each object, "File '...'", then "Lines executed:P% of N"
// and (with -b) "Taken at least once:P% of N" for branches; it writes no .gcov files.
const rows = new Map();
for (const gcda of counts) {
  const r = spawnSync('gcov', ['-n', '-b', '-o', dirname(gcda), gcda], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`native coverage: gcov failed on ${gcda}: ${r.stderr}`);
    process.exit(1);
  }
  let file = null;
  for (const line of r.stdout.split('\n')) {
    const f = /^File '(.+)'$/.exec(line);
    if (f) {
      const path = relative(root, f[1]);
      file = path.startsWith('native/core/') && path.endsWith('.cpp') ? path : null;
      if (file && !rows.has(file)) rows.set(file, { lines: [0, 0], branches: [0, 0] });
      continue;
    }
    if (!file) continue;
    const l = /^Lines executed:([\d.]+)% of (\d+)/.exec(line);
    if (l) rows.get(file).lines = [Math.round((Number(l[1]) * Number(l[2])) / 100), Number(l[2])];
    const b = /^Taken at least once:([\d.]+)% of (\d+)/.exec(line);
    if (b) rows.get(file).branches = [Math.round((Number(b[1]) * Number(b[2])) / 100), Number(b[2])];
  }
}

const pct = ([hit, all]) => (all === 0 ? '   -  ' : `${((100 * hit) / all).toFixed(1).padStart(5)}%`);
const byDir = new Map();
console.log('\nnative/core coverage (gcov; lines, branches taken)');
for (const [file, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`  ${file.padEnd(48)} ${pct(row.lines)}  ${pct(row.branches)}`);
  const dir = dirname(file);
  const d = byDir.get(dir) ?? { lines: [0, 0], branches: [0, 0] };
  for (const k of ['lines', 'branches']) for (const i of [0, 1]) d[k][i] += row[k][i];
  byDir.set(dir, d);
}
const total = { lines: [0, 0], branches: [0, 0] };
for (const [dir, d] of byDir) {
  console.log(`  ${`${dir}/ (all)`.padEnd(48)} ${pct(d.lines)}  ${pct(d.branches)}`);
  for (const k of ['lines', 'branches']) for (const i of [0, 1]) total[k][i] += d[k][i];
}
console.log(`  ${'native/core (all)'.padEnd(48)} ${pct(total.lines)}  ${pct(total.branches)}`);
