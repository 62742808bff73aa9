// Memory, each scenario in its own child process (peak RSS = VmHWM of that process, from
// /proc/self/status; getrusage's maxRSS would include the parent's peak, inherited over fork+exec):
//  - 10 min (simulated, as fast as possible) dual recording with write() into a 64 MiB ring,
//    vs a naive JS ring recorder (fs.writeSync into a 64 MiB file + a JS index array).
//    ringclip's peak includes the mapped store pages it touched (up to the 64 MiB ring);
//    the naive recorder's written pages sit in the page cache, outside its RSS.
//  - a 60 s dual clip export (writeMP4) from that store vs mediabunny exporting the same clip
//    in-process (samples read with frames(), muxed into memory, writeFile).
//  - index bytes per frame: growth of RssAnon (anonymous memory: heap + native index, not the
//    mapped file) per indexed frame, writing 200k (ci) / 1M small frames; the design says 32 B.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, row } from '../lib/common.js';

export const title = 'memory';

const child = fileURLToPath(new URL('../lib/memory-child.js', import.meta.url));
function runChild(args, nodeArgs = []) {
  const out = execFileSync(process.execPath, [...nodeArgs, child, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop());
}
const MB = (n) => n / 1e6;

export async function run(ctx) {
  const store = `${ctx.dir}/memory.ring`;
  const rec = runChild(['record', store, '600']);
  const naive = runChild(['naive-record', `${ctx.dir}/memory-naive.bin`, '600']);
  const exp = runChild(['export', store, `${ctx.dir}/memory-export.mp4`]);
  const jsExp = runChild(['naive-export', store, `${ctx.dir}/memory-export-js.mp4`]);
  // 1M frames in every mode (about a second): V8's heap sizes itself during the first few
  // hundred thousand writes, and the per-frame figure is taken after that (memory-child.js).
  const frames = 1_000_000;
  const idx = runChild(['index', `${ctx.dir}/memory-index.ring`, String(frames)], ['--expose-gc']);
  return [
    row({
      name: 'memory: peak RSS, 10 min dual recording (write()) into a 64 MiB ring',
      value: MB(rec.maxRss),
      unit: 'MB',
      better: 'lower',
      extra: `${rec.writes} frames; peak includes the mapped ring pages; at the end RssAnon ${fmt(MB(rec.rssAnon))} MB`,
      baseline: 'naive JS ring recorder (fs.writeSync + JS index)',
      baselineValue: MB(naive.maxRss),
      baselineUnit: 'MB',
      ratio: rec.maxRss / naive.maxRss,
    }),
    row({
      name: 'memory: peak RSS, 60 s dual clip export (writeMP4)',
      value: MB(exp.maxRss),
      unit: 'MB',
      better: 'lower',
      extra: `${fmt(MB(exp.bytes))} MB MP4, ${exp.samples} samples`,
      baseline: 'mediabunny in-process export of the same clip',
      baselineValue: MB(jsExp.maxRss),
      baselineUnit: 'MB',
      ratio: exp.maxRss / jsExp.maxRss,
    }),
    row({
      name: 'memory: index bytes per frame (RssAnon growth per frame over the last 800k of 1M small frames)',
      value: idx.bytesPerFrame,
      unit: 'B/frame',
      better: 'lower',
      extra: `${fmt(idx.bytesPerFrame)} MB per million frames; plus ${fmt(MB(idx.oneTime))} MB once (V8's young generation growing) over ${fmt(idx.frames - 1)} frames`,
      baseline: 'design: 32 B IndexEntry',
      baselineValue: 32,
      baselineUnit: 'B/frame',
      ratio: idx.bytesPerFrame / 32,
      target: { text: '≈ 32 B/frame (ratio ≤ 1.25)', ok: idx.bytesPerFrame / 32 <= 1.25 },
    }),
  ];
}
