#!/usr/bin/env node
// Runs every suite in bench/suites/ (in file-name order), prints a table of ringclip vs the
// baseline measured in the same run, and writes bench/results.json.
//
//   node bench/run.js                     full run
//   node bench/run.js --ci                short run, then compare ratios with bench/baseline.json (exit 1 on regression)
//   node bench/run.js --readme            also regenerate the table in README.md between <!-- bench:start --> and <!-- bench:end -->
//                                         (--readme=PATH: in another file)
//   node bench/run.js --update-baseline   write this run's ratios to bench/baseline.json (commit it deliberately, with the reason)
//   node bench/run.js --only=ingest,clip  run only suites whose file name contains one of these words
//   node bench/run.js --verbose           print every benchmark.js measurement as it completes
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, tempDir } from './lib/common.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const KNOWN = ['--ci', '--readme', '--update-baseline', '--verbose', '--help', '-h'];
const unknown = args.filter((a) => !KNOWN.includes(a) && !a.startsWith('--only=') && !a.startsWith('--readme='));
if (flag('--help') || flag('-h') || unknown.length > 0) {
  // The usage is this file's header comment (one place to keep it true).
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\n')
    .slice(1);
  const usage = lines
    .slice(
      0,
      lines.findIndex((l) => !l.startsWith('//')),
    )
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
  if (unknown.length > 0) console.error(`bench: unknown option ${unknown.map((a) => `'${a}'`).join(', ')}\n`);
  console.log(usage);
  process.exit(unknown.length > 0 ? 2 : 0);
}
const only = (args.find((a) => a.startsWith('--only=')) || '').slice(7).split(',').filter(Boolean);
const ci = flag('--ci');

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    cpu: model,
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    mode: ci ? 'ci' : 'full',
  };
}

function ratioText(r) {
  if (r.better === 'lower') return `${fmt(r.ratio)}× the baseline`;
  return r.ratio >= 1 ? `${fmt(r.ratio)}× faster` : `${fmt(r.ratio)}× (slower)`;
}

function table(rows, mach, markdown) {
  const head = ['operation', 'ringclip', 'baseline', 'ratio', 'target'];
  const body = rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}${r.extra ? ` (${r.extra})` : ''}`,
    `${r.baseline}: ${fmt(r.baselineValue)} ${r.baselineUnit ?? r.unit}`,
    ratioText(r),
    r.target ? `${r.target.text} ${r.target.ok ? '✔ met' : '✘ MISSED'}` : '',
  ]);
  const header = `Machine: ${mach.cpu}, ${mach.cores} cores, Node ${mach.node} (${mach.platform}), ${mach.mode} run`;
  if (markdown) {
    const esc = (s) => String(s).replace(/\|/g, '\\|');
    return [
      header,
      '',
      `| ${head.join(' | ')} |`,
      `|${head.map(() => '---').join('|')}|`,
      ...body.map((c) => `| ${c.map(esc).join(' | ')} |`),
    ].join('\n');
  }
  const widths = head.map((h, i) =>
    Math.min(i === 0 || i === 2 ? 60 : 44, Math.max(h.length, ...body.map((c) => c[i].length))),
  );
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  return [header, line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

function compareWithBaseline(rows) {
  const path = join(here, 'baseline.json');
  if (!existsSync(path)) {
    console.log('\nno bench/baseline.json: nothing to compare with (create it with --update-baseline)');
    return true;
  }
  const base = JSON.parse(readFileSync(path, 'utf8'));
  const tolerance = base.tolerance ?? 2.5;
  let ok = true;
  console.log(`\nComparing ratios with bench/baseline.json (a regression is a ratio more than ${tolerance}× worse):`);
  for (const r of rows) {
    const b = base.rows?.[r.name];
    if (!b) {
      console.log(`  ?  ${r.name}: no baseline entry (not gated)`);
      continue;
    }
    // How many times worse than the baseline this run is (1 = same, > 1 = worse).
    const worse = r.better === 'lower' ? r.ratio / b.ratio : b.ratio / r.ratio;
    const limit = b.tolerance ?? tolerance;
    const bad = !(worse <= limit);
    if (bad) ok = false;
    console.log(
      `  ${bad ? '✘ REGRESSION' : '✔'} ${r.name}: ratio ${fmt(r.ratio)} vs baseline ${fmt(b.ratio)} ` +
        `(${worse >= 1 ? `${fmt(worse)}× worse` : `${fmt(1 / worse)}× better`}${bad ? `, limit ${limit}×` : ''})`,
    );
  }
  for (const name of Object.keys(base.rows ?? {})) {
    if (!rows.some((r) => r.name === name) && only.length === 0) {
      console.log(`  ✘ MISSING ${name}: in baseline.json but not measured`);
      ok = false;
    }
  }
  return ok;
}

function updateReadme(text) {
  // --readme=PATH edits another file (e.g. a copy, to try it); default: the top-level README.md.
  const custom = args.find((a) => a.startsWith('--readme='));
  const path = custom ? custom.slice(9) : join(root, 'README.md');
  const start = '<!-- bench:start -->',
    end = '<!-- bench:end -->';
  const readme = existsSync(path) ? readFileSync(path, 'utf8') : null;
  const a = readme?.indexOf(start) ?? -1,
    b = readme?.indexOf(end) ?? -1;
  if (!readme || a < 0 || b < a) {
    console.log(
      `\n--readme: ${readme ? 'README.md has no' : 'there is no README.md with'} ${start} ... ${end} markers; the table to paste is:\n`,
    );
    console.log(text);
    return;
  }
  writeFileSync(path, `${readme.slice(0, a + start.length)}\n${text}\n${readme.slice(b)}`);
  console.log(`\n${path}: benchmark table regenerated between the bench markers`);
}

async function main() {
  const started = performance.now();
  const mach = machine();
  console.log(`ringclip benchmarks (${mach.mode}): ${mach.cpu}, ${mach.cores} cores, Node ${mach.node}`);
  const suitesDir = join(here, 'suites');
  const files = readdirSync(suitesDir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
  const tmp = tempDir();
  const rows = [];
  let failed = false;
  try {
    for (const file of files) {
      const suite = await import(pathToFileURL(join(suitesDir, file)).href);
      const t = performance.now();
      process.stdout.write(`  ${suite.title ?? file} ...`);
      try {
        const got = await suite.run({ ci, verbose: flag('--verbose'), dir: tmp.dir, root });
        rows.push(...got);
        console.log(` ${((performance.now() - t) / 1000).toFixed(1)} s`);
      } catch (err) {
        failed = true;
        console.log(` FAILED\n${err?.stack ?? err}`);
      }
    }
  } finally {
    tmp.cleanup();
  }
  console.log(`\n${table(rows, mach, false)}\n`);
  console.log(
    'ratio: for speed rows, baseline time / ringclip time for the same work (> 1 = ringclip faster; ' +
      'for memcpy floors it is the fraction of copy speed reached); for memory rows, ringclip / baseline (< 1 = less memory).',
  );
  const results = rows.map((r) => ({
    name: r.name,
    value: r.value,
    unit: r.unit,
    baseline: r.baseline,
    baselineValue: r.baselineValue,
    baselineUnit: r.baselineUnit ?? r.unit,
    ratio: r.ratio,
    better: r.better,
    ...(r.target ? { target: r.target.text, targetMet: r.target.ok } : {}),
  }));
  if (only.length === 0) writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (flag('--update-baseline')) {
    if (only.length) throw new Error('--update-baseline needs a run of every suite (no --only)');
    const baseline = {
      note:
        'Ratios from one run of `npm run bench:ci` on the machine named below. CI fails when a ratio is more than `tolerance` times worse. ' +
        'Rows with their own tolerance say why. To update: run `node bench/run.js --ci --update-baseline` on the CI machine kind, check the table, and commit bench/baseline.json ' +
        'on its own with the reason (which change moved which row, and why that is accepted) in the commit message.',
      tolerance: 2.5,
      machine: mach,
      created: new Date().toISOString(),
      rows: Object.fromEntries(
        rows.map((r) => [
          r.name,
          {
            ratio: Number(r.ratio.toPrecision(4)),
            better: r.better,
            value: Number(r.value.toPrecision(4)),
            unit: r.unit,
            ...(r.tolerance ? { tolerance: r.tolerance, why: r.toleranceWhy } : {}),
          },
        ]),
      ),
    };
    writeFileSync(join(here, 'baseline.json'), `${JSON.stringify(baseline, null, 2)}\n`);
    console.log('\nbench/baseline.json written from this run');
  }
  if (flag('--readme') || args.some((a) => a.startsWith('--readme='))) updateReadme(table(rows, mach, true));
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
  if (ci && !flag('--update-baseline') && !compareWithBaseline(rows)) process.exitCode = 1;
}

await main();
