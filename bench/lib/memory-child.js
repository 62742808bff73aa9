// One memory scenario per process (so each peak RSS is its own): prints one JSON line.
//   node memory-child.js record <store> <seconds>        ringclip: dual recording into a 64 MiB ring
//   node memory-child.js naive-record <file> <seconds>   naive JS: the same access units, fs.writeSync into a 64 MiB ring file + a JS index
//   node memory-child.js export <store> <out.mp4>        ringclip: 60 s dual clip of the newest footage, writeMP4
//   node memory-child.js naive-export <store> <out.mp4>  mediabunny: the same clip muxed in-process, then writeFile
//   node memory-child.js index <store> <frames>          RssAnon growth per indexed frame, from frames/5 on (run with --expose-gc)
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { CABIN, ROAD, T0, procStatus, recordDual, units } from './common.js';

const [mode, path, arg] = process.argv.slice(2);
const RING = 64 * 2 ** 20;
const report = (extra = {}) => {
  const s = procStatus();
  // VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss over exec from the forked copy of
  // the parent, so a child of a big parent would report the parent's peak.
  process.stdout.write(`${JSON.stringify({ maxRss: s.hwm, rssAnon: s.rssAnon, rssFile: s.rssFile, ...extra })}\n`);
};
units(ROAD);
units(CABIN); // fixtures loaded and split in every mode, before anything is measured

if (mode === 'record') {
  const store = await SegmentStore.create(path, { capacity: RING, segmentSize: '4MiB', streams: ['road', 'cabin'] });
  const writes = recordDual(store, Number(arg));
  const info = store.info();
  await store.close();
  report({ writes, overwritten: info.overwrittenFrames });
} else if (mode === 'naive-record') {
  // What a user without the engine might write: one file used as a ring, written with
  // positional writes, and a JS array indexing what it holds.
  const fd = openSync(path, 'w+');
  const index = [];
  let at = 0,
    first = 0,
    writes = 0;
  const feeds = [
    { stream: 0, units: units(ROAD) },
    { stream: 1, units: units(CABIN) },
  ];
  const total = Math.round(Number(arg) * 30);
  for (let k = 0; k < total; k++) {
    const pts = T0 + Math.round((k * 1e6) / 30);
    for (const f of feeds) {
      const u = f.units[k % f.units.length];
      if (at + u.length > RING) at = 0;
      writeSync(fd, u, 0, u.length, at);
      index.push({ stream: f.stream, pts, offset: at, size: u.length });
      at += u.length;
      // Drop the oldest index entries whose bytes this write overwrote.
      const a = at - u.length;
      while (first < index.length - 1 && index[first].offset < at && index[first].offset + index[first].size > a)
        first++;
      if (first > 4096) {
        index.splice(0, first);
        first = 0;
      }
      writes++;
    }
  }
  closeSync(fd);
  report({ writes, retained: index.length - first });
} else if (mode === 'export' || mode === 'naive-export') {
  const store = await SegmentStore.open(path, { readOnly: true });
  const last = Math.min(...store.info().streams.map((s) => s.last));
  const from = last - 61e6,
    to = last - 1e6;
  const clip = store.clip({ from, to });
  let bytes;
  if (mode === 'export') {
    bytes = (await clip.writeMP4(arg)).bytes;
  } else {
    const { collectSamples, muxWithMediabunny } = await import('./jsmux.js');
    const file = await muxWithMediabunny(collectSamples(store, clip, to), 'buffer');
    writeFileSync(arg, file);
    bytes = file.length;
  }
  const samples = clip.tracks.reduce((n, t) => n + t.samples, 0);
  clip.release();
  await store.close();
  report({ bytes, samples });
} else if (mode === 'index') {
  const frames = Number(arg);
  const cabin = units(CABIN);
  const small = cabin.filter((u) => u.length < 1000);
  const capacity = Math.ceil((frames * 512) / 2 ** 23 + 4) * 2 ** 23;
  const store = await SegmentStore.create(path, { capacity, segmentSize: '8MiB', streams: ['cabin'] });
  let pts = T0;
  store.write('cabin', cabin[0], { pts });
  globalThis.gc();
  const before = procStatus().rssAnon;
  // RssAnon also grows once, by ~5 MB, as V8's young generation sizes itself to the loop's garbage
  // (the options objects): a constant, not a cost per frame. The per-frame figure is the
  // growth between a point a fifth of the way in and the end, which cancels it.
  const mid = Math.floor(frames / 5);
  let atMid = 0;
  for (let i = 0; i < frames; i++) {
    if (i === mid) {
      globalThis.gc();
      atMid = procStatus().rssAnon;
    }
    pts += 33_333;
    store.write('cabin', small[i % small.length], { pts });
  }
  globalThis.gc();
  const after = procStatus().rssAnon;
  const info = store.info();
  if (info.overwrittenFrames) throw new Error('index: the store wrapped; make it larger');
  const indexed = info.streams[0].frames;
  await store.close();
  const perFrame = (after - atMid) / (frames - mid);
  report({
    frames: indexed,
    anonGrowth: after - before,
    oneTime: after - before - perFrame * frames,
    bytesPerFrame: perFrame,
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
