#!/usr/bin/env node
// Builds the fuzz corpus seeds from the fixtures and from files the engine itself writes
// (MP4 clips, store images), into native/fuzz/corpus/<target>/ (not committed: run again
// any time). With --small, writes the few small seeds committed in native/fuzz/seeds/.
// Needs the built package (npx tsc -p tsconfig.json) and addon.
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const small = process.argv.includes('--small');
const out = join(here, small ? 'seeds' : 'corpus');
const { SegmentStore } = await import(join(root, 'dist', 'index.js'));

const fixtures = [
  'road_1080p30_high_gop30.h264',
  'cabin_720p30_main_gop30.h264',
  'bframes_720p30_high_gop60.h264',
  'slices4_aud_720p25_gop50.h264',
  'opengop_480p30_keyint90.h264',
];
const fixture = (f) => readFileSync(join(root, 'test', 'fixtures', f));
const put = (target, name, bytes) => {
  mkdirSync(join(out, target), { recursive: true });
  writeFileSync(join(out, target, name), bytes);
};
// A chunk-size byte first (see fuzz_h264.cpp), then Annex B bytes.
const h264Seed = (chunk, bytes) => Buffer.concat([Buffer.from([chunk]), bytes]);

// Start codes and NAL headers of the fixtures.
function nalStarts(b) {
  const s = [];
  for (let i = 0; i + 3 < b.length; i++)
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      s.push(i);
      i += 2;
    }
  return s;
}

// h264: the parameter sets + first NAL units of each fixture, cut to a size budget; the
// non-VCL units and slice headers are what the parsers read.
for (const f of fixtures) {
  const b = fixture(f);
  const budget = small ? 2048 : 64 * 1024;
  put('h264', `${f}.head`, h264Seed(small ? 0 : 7, b.subarray(0, budget)));
  if (!small) {
    // Each NAL unit truncated to its first 64 bytes: headers of many pictures, small.
    const starts = nalStarts(b);
    const parts = [];
    for (let i = 0; i < Math.min(starts.length, 400); i++)
      parts.push(b.subarray(starts[i], Math.min(starts[i] + 64, starts[i + 1] ?? b.length)));
    put('h264', `${f}.headers`, h264Seed(0, Buffer.concat(parts)));
    put('h264', `${f}.chunks1`, h264Seed(1, b.subarray(0, 8192)));
  }
}

// Store images and MP4s made by the engine.
const dir = mkdtempSync(join(tmpdir(), 'ringclip-seeds-'));
try {
  const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
  const path = join(dir, 's.ring');
  // The geometry the store target uses: 2 segments of 1 MiB, streams road + cabin.
  const store = await SegmentStore.create(path, {
    capacity: 65536 + 2 * 1048576,
    segmentSize: '1MiB',
    streams: ['road', 'cabin'],
  });
  const split = (b) => {
    const s = nalStarts(b).map((i) => (i > 0 && b[i - 1] === 0 ? i - 1 : i));
    const units = [];
    let start = -1,
      sawSlice = false;
    for (const at of s) {
      const h = b[at + (b[at + 2] === 1 ? 3 : 4)],
        t = h & 0x1f;
      const first = (b[at + (b[at + 2] === 1 ? 4 : 5)] & 0x80) !== 0,
        slice = t === 1 || t === 5;
      const begins = t === 9 || ((t === 6 || t === 7 || t === 8) && sawSlice) || (slice && first && sawSlice);
      if (start < 0) start = at;
      else if (begins) {
        units.push(b.subarray(start, at));
        start = at;
        sawSlice = false;
      }
      if (slice) sawSlice = true;
    }
    if (start >= 0) units.push(b.subarray(start));
    return units;
  };
  const cabin = split(fixture(fixtures[1])),
    road = split(fixture(fixtures[0]));
  for (let i = 0; i < 8; i++) store.write('cabin', cabin[i], { pts: T0 + i * 33333 });
  for (let i = 0; i < (small ? 1 : 3); i++) store.write('road', road[i], { pts: T0 + i * 33333 + 1 });
  if (!small) for (let i = 8; i < 60; i++) store.write('cabin', cabin[i], { pts: T0 + i * 33333 });
  const clip = store.clip({ from: T0, to: T0 + 8 * 33333, streams: ['cabin'] });
  const mp4 = join(dir, 'c.mp4'),
    fmp4 = join(dir, 'c.fmp4');
  await clip.writeMP4(mp4);
  await clip.writeMP4(fmp4, { fragmented: true });
  clip.release();
  await store.close();
  const image = readFileSync(path);
  const seg = image.subarray(65536);
  // The used part of segment 0: where its records end, as its index block (format 3,
  // written at close) says.
  const footer0 = seg.subarray(1048576 - 64, 1048576);
  if (footer0.readUInt32LE(0) !== 0x58494352) throw new Error('make-seeds: segment 0 was not sealed at close');
  const used = footer0.readUInt32LE(28);
  const cut = small ? Math.min(used, 24 * 1024) : used;
  put('store_recovery', 'segment-only', Buffer.concat([Buffer.from([0]), seg.subarray(0, cut)]));
  put(
    'store_recovery',
    'with-header',
    Buffer.concat([Buffer.from([1]), image.subarray(0, 8192), seg.subarray(0, cut)]),
  );
  if (!small) put('store_recovery', 'writable', Buffer.concat([Buffer.from([2]), seg.subarray(0, cut)]));
  // Format 3: segment 0 sealed at close, its index block at the segment's end; the header
  // slots of the close vouch for its records (mode 1 | 8: header, head, then the tail).
  {
    const tail = footer0.readUInt32LE(36) + 64;
    const t = Buffer.alloc(4);
    t.writeUInt32LE(tail);
    put(
      'store_recovery',
      'sealed',
      Buffer.concat([
        Buffer.from([1 | 8]),
        image.subarray(0, 8192),
        t,
        seg.subarray(0, used),
        seg.subarray(1048576 - tail, 1048576),
      ]),
    );
  }
  for (const [name, file] of [
    ['clip.mp4', mp4],
    ['clip.fmp4', fmp4],
  ]) {
    const b = readFileSync(file);
    if (small && b.length > 40 * 1024) continue;
    put('mp4_reader', name, b);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`seeds written to ${out}`);
