// Key-frame timelapse: a drive (an hour in a full run, 5 minutes in --ci) of the 720p cabin
// camera (a key frame every second) as a timelapse MP4 of one key frame per second, shown at
// 30 fps, written to a new file. Baselines, same run, same key frames:
//  - ffmpeg (spawned) decoding only the key frames of the drive's MP4 (`-skip_frame nokey`)
//    and encoding them again (libx264 ultrafast): what peers do to make a timelapse;
//  - a copy of the same key-frame bytes into a ring twice the CPU's last-level cache (the
//    copy floor; no file write).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { CABIN, T0, ffmpegPath, floorRing, fmt, measure, recordDual, row } from '../lib/common.js';

export const title = 'key-frame timelapse';

export async function run(ctx) {
  const seconds = ctx.ci ? 300 : 3600;
  const store = await SegmentStore.create(`${ctx.dir}/timelapse.ring`, {
    capacity: ctx.ci ? '160MiB' : '512MiB',
    segmentSize: '16MiB',
    streams: ['cabin'],
  });
  recordDual(store, seconds, T0, [{ stream: 'cabin', file: CABIN }]);
  const from = T0,
    to = T0 + seconds * 1e6;
  const out = `${ctx.dir}/timelapse-ringclip.mp4`;
  const ours = await measure(
    ctx,
    `ringclip timelapse of ${seconds} s`,
    async () => {
      rmSync(out, { force: true });
      const lapse = store.clip({ from, to, timelapse: { every: '1s', fps: 30 } });
      await lapse.writeMP4(out);
      lapse.release();
    },
    { async: true, slow: true },
  );

  // The same key frames as bytes: the copy floor.
  const keyframes = [...store.frames({ stream: 'cabin', from, to })]
    .filter((f) => f.randomAccess === 'idr')
    .map((f) => Buffer.from(f.payload));
  const keyBytes = keyframes.reduce((n, b) => n + b.length, 0);
  const floorDest = floorRing();
  const floor = await measure(
    ctx,
    `copy of the key frames into ${floorDest.text}`,
    () => {
      for (const k of keyframes) floorDest.copy(k);
    },
    { slow: true },
  );

  const source = `${ctx.dir}/timelapse-source.mp4`;
  const whole = store.clip({ from, to });
  await whole.writeMP4(source);
  whole.release();
  await store.close();
  const ffOut = `${ctx.dir}/timelapse-ffmpeg.mp4`;
  const ffArgs = [
    '-v',
    'error',
    '-y',
    '-skip_frame',
    'nokey',
    '-i',
    source,
    '-vsync',
    '0',
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-r',
    '30',
    ffOut,
  ];
  const ffmpeg = ffmpegPath();
  const ff = await measure(
    ctx,
    'ffmpeg -skip_frame nokey + libx264 ultrafast',
    () => {
      rmSync(ffOut, { force: true });
      const r = spawnSync(ffmpeg, ffArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
    },
    { slow: true, override: { minSamples: 1, maxTime: 0.1, initCount: 1 }, warmup: 0 },
  );

  const ms = (m) => m.mean * 1e3;
  const common = {
    value: ms(ours),
    unit: 'ms',
    extra: `${keyframes.length} key frames, ${fmt(keyBytes / 1e6)} MB, ${fmt(seconds / 60)} min drive`,
  };
  return [
    row({
      name: 'timelapse: 1 key frame/s of a drive to MP4 vs ffmpeg decode + re-encode',
      ...common,
      baseline: 'ffmpeg -skip_frame nokey, libx264 ultrafast (spawned)',
      baselineValue: ms(ff),
      baselineUnit: 'ms',
      ratio: ff.mean / ours.mean,
      target: { text: '≥ 50× faster than re-encoding', ok: ff.mean / ours.mean >= 50 },
    }),
    row({
      name: 'timelapse: 1 key frame/s of a drive to MP4 vs copy floor',
      ...common,
      baseline: `copy of the same key frames into ${floorDest.text}`,
      baselineValue: ms(floor),
      baselineUnit: 'ms',
      ratio: floor.mean / ours.mean,
      target: { text: 'within 4× of the copy floor (ratio ≥ 0.25)', ok: floor.mean / ours.mean >= 0.25 },
    }),
  ];
}
