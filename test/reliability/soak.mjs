#!/usr/bin/env node
// Soak (issue 4): SOAK_HOURS (default 1) of dual-stream recording (road 1080p30 + cabin
// 720p30) at simulated speed through a small ring (SOAK_RING_MIB, default 32, in 2 MiB
// segments), with a flush every simulated second, an event clip cut and exported every
// 20 s, a protection of 6 s every 5 min (released 2 min later), and a reopen (new drive) every
// 20 min. Checks: RSS stays flat after warm-up, the file size never changes, verify() is
// clean at the end and after a reopen, sampled clips decode cleanly with ffmpeg. Prints a
// JSON summary (docs/RELIABILITY.md quotes it); exits 1 on any failure.
// Run: npm run test:soak   (builds dist/ first) or node --expose-gc test/reliability/soak.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitAccessUnits } from '../helpers/annexb.js';

const root = new URL('../../', import.meta.url).pathname;
const { SegmentStore } = await import(join(root, 'dist/index.js'));
const require = createRequire(import.meta.url);
const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;

const HOURS = Number(process.env.SOAK_HOURS ?? 1);
const RING_MIB = Number(process.env.SOAK_RING_MIB ?? 32);
const FPS = 30,
  FRAME_US = 1e6 / FPS;
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ringclip-soak-'));
const path = join(dir, 'soak.ring');

const sources = [
  { name: 'road', units: splitAccessUnits(readFileSync(join(root, 'test/fixtures/road_1080p30_high_gop30.h264'))) },
  { name: 'cabin', units: splitAccessUnits(readFileSync(join(root, 'test/fixtures/cabin_720p30_main_gop30.h264'))) },
];

const failures = [];
const fail = (what) => {
  if (failures.length < 20) failures.push(what);
};
const capacity = 65536 + RING_MIB * 1048576;
let store = await SegmentStore.create(path, { capacity, segmentSize: '2MiB', streams: ['road', 'cabin'] });
const size0 = statSync(path).size;
let overwritten = 0;
const onOverwrite = (e) => {
  overwritten += e.frames;
};
store.on('overwrite', onOverwrite);

const started = Date.now();
const totalFrames = Math.round(HOURS * 3600 * FPS);
const rss = [];
let clips = 0,
  clipErrors = 0,
  decoded = 0,
  refused = 0,
  flushes = 0,
  protections = 0,
  reopens = 0,
  bytesWritten = 0;
let inflight = null;
const held = [];
let next = 0; // frame index of both streams (they share a clock); after a reopen, a GOP boundary
for (let f = 0; f < totalFrames; f++, next++) {
  const pts = T0 + Math.round(next * FRAME_US);
  for (const src of sources) {
    const unit = src.units[next % src.units.length];
    try {
      if (store.write(src.name, unit, { pts })) bytesWritten += unit.length;
    } catch (e) {
      if (e.name === 'RingFullError') refused++;
      else throw e;
    }
  }
  const second = f % FPS === FPS - 1;
  if (!second) continue;
  const simS = Math.floor((f + 1) / FPS);
  await store.flush();
  flushes++;
  if (simS % 20 === 0) {
    // An event clip of the last 10 s, exported while recording goes on (at most one in flight).
    if (inflight) await inflight;
    let clip;
    try {
      clip = store.clip({ from: pts - 10e6, to: pts, allowPartial: true });
    } catch (e) {
      clipErrors++;
      fail(`clip at ${simS}s: ${e.message}`);
      continue;
    }
    const out = join(dir, `clip${clips % 2}.mp4`);
    const check = clips % 60 === 0;
    inflight = clip.writeMP4(out).then(
      () => {
        clip.release();
        // writeMP4() releases the MP4 it builds once written (RELIABILITY.md, former gap 4), so
        // no pin outlives the clip; this gc() only keeps the heap small. SOAK_NO_GC=1 runs
        // without it, to show that the pins do not pile up.
        if (!process.env.SOAK_NO_GC) globalThis.gc?.();
        clips++;
        if (check) {
          const r = spawnSync(ffmpeg, ['-v', 'error', '-xerror', '-i', out, '-map', '0', '-f', 'null', '-'], {
            encoding: 'utf8',
          });
          decoded++;
          if (r.status !== 0 || r.stderr.trim()) fail(`clip at ${simS}s: ffmpeg: ${r.stderr.slice(0, 200)}`);
        }
      },
      (e) => {
        clipErrors++;
        fail(`clip at ${simS}s: ${e.message}`);
      },
    );
  }
  if (simS % 300 === 0) {
    // An event: the last 6 s kept for 2 min (the cap is 30 % of the ring, ~10 s of footage).
    try {
      held.push({ p: store.protect({ from: pts - 6e6, to: pts }), until: simS + 120 });
      protections++;
    } catch (e) {
      fail(`protect: ${e.message}`);
    }
  }
  for (let i = held.length - 1; i >= 0; i--)
    if (held[i].until <= simS) {
      held[i].p.release();
      held.splice(i, 1);
    }
  if (simS % 1200 === 0) {
    if (inflight) await inflight;
    inflight = null;
    store.off('overwrite', onOverwrite);
    await store.close();
    store = await SegmentStore.open(path);
    store.on('overwrite', onOverwrite);
    held.length = 0; // protections stay in the file; their objects now belong to the old handle
    for (const p of store.protections()) p.release();
    next = Math.ceil((next + 1) / 30) * 30 - 1; // the new drive starts on an IDR (GOP 30)
    reopens++;
  }
  if (simS % 60 === 0) {
    rss.push(process.memoryUsage().rss);
    const size = statSync(path).size;
    if (size !== size0) fail(`file size changed: ${size0} -> ${size}`);
  }
}
if (inflight) await inflight;
const verify = store.verify();
if (!verify.ok) fail(`verify at the end: ${verify.problems.slice(0, 3).join('; ')}`);
const info = store.info();
await store.close();
const again = await SegmentStore.open(path, { readOnly: true });
const verify2 = again.verify();
if (!verify2.ok || again.recovery.damagedRecords !== 0 || again.recovery.tornTailRecords !== 0)
  fail('reopen: not clean');
await again.close();
if (statSync(path).size !== size0) fail('file size changed');

const seconds = (Date.now() - started) / 1000;
const mib = (x) => Math.round((x / 2 ** 20) * 10) / 10;
const warm = rss.slice(Math.min(5, rss.length - 1));
const summary = {
  simulatedHours: HOURS,
  wallSeconds: seconds,
  speedup: Math.round((HOURS * 3600) / seconds),
  ringMiB: RING_MIB,
  framesWritten: totalFrames * 2,
  gibWritten: Math.round((bytesWritten / 2 ** 30) * 100) / 100,
  overwritten,
  wraps: Math.floor(bytesWritten / (RING_MIB * 1048576)),
  flushes,
  clips,
  decoded,
  clipErrors,
  protections,
  reopens,
  refusedRingFull: refused,
  records: verify.records,
  rssMiB: {
    first: mib(rss[0] ?? 0),
    afterWarmup: mib(warm[0] ?? 0),
    min: mib(Math.min(...warm)),
    max: mib(Math.max(...warm)),
    last: mib(rss.at(-1) ?? 0),
  },
  fileSize: size0,
  streams: info.streams.map((s) => ({ name: s.name, frames: s.frames })),
  failures,
};
console.log(JSON.stringify(summary, null, 1));
rmSync(dir, { recursive: true, force: true });
// RSS flat: after warm-up, the spread stays under 24 MiB (allocator noise, no trend).
if (Math.max(...warm) - Math.min(...warm) > 24 * 2 ** 20) failures.push('RSS grew');
if (summary.speedup < 100) console.log(`note: only ${summary.speedup}x real time on this machine`);
process.exit(failures.length ? 1 : 0);
