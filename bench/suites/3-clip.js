// Clip to file: a 20 s dual-stream clip (1080p road + 720p cabin, looped fixtures recorded
// with write() interleaved by time) written as a progressive MP4 to a file in /tmp.
// Baselines, same run, same samples:
//  - ffmpeg (spawned) `-ss 3 -i source.mp4 -t 20 -map 0 -c copy` of the same range, from a
//    26 s source MP4 that ringclip wrote first;
//  - mediabunny (pure-JS muxer) muxing the same samples in-process, then fs.writeFile;
//  - a copy of the same sample bytes into a ring twice the CPU's last-level cache (the copy
//    floor; no file write).
// Every file is written anew each cycle (the previous output unlinked inside the timing).
// Plus one informational row (no target): ringclip writing over the previous cycle's file.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { T0, ffmpegPath, floorRing, fmt, measure, recordDual, row } from '../lib/common.js';
import { collectSamples, muxWithMediabunny } from '../lib/jsmux.js';

export const title = 'clip to file';

export async function run(ctx) {
  const store = await SegmentStore.create(`${ctx.dir}/clip.ring`, {
    capacity: '128MiB',
    segmentSize: '8MiB',
    streams: ['road', 'cabin'],
  });
  recordDual(store, 26);
  const from = T0 + 3e6,
    to = T0 + 23e6;
  const out = `${ctx.dir}/clip-ringclip.mp4`;

  // Every party that writes a file writes a new one each cycle: the previous output is
  // unlinked inside the timing, as when a new event is exported. Writing over the previous
  // cycle's file instead measures the page cache: ringclip overwrites a file in place
  // (docs/MP4.md) and reuses its pages, while O_TRUNC writers (ffmpeg, fs.writeFile) wait on
  // ext4 for the writeback the previous close started. That case is an informational row.
  const ringclip = async () => {
    rmSync(out, { force: true });
    const clip = store.clip({ from, to });
    await clip.writeMP4(out);
    clip.release();
  };
  const probe = store.clip({ from, to });
  const { bytes } = await probe.writeMP4(out);
  const tracks = collectSamples(store, probe, to);
  probe.release();
  const sampleBytes = tracks.reduce((n, t) => n + t.samples.reduce((m, s) => m + s.data.length, 0), 0);
  const samples = tracks.reduce((n, t) => n + t.samples.length, 0);

  const ours = await measure(ctx, 'ringclip clip+writeMP4 20 s dual, new file', ringclip, { async: true, slow: true });
  const overOut = `${ctx.dir}/clip-ringclip-over.mp4`;
  const ringclipOver = async () => {
    const clip = store.clip({ from, to });
    await clip.writeMP4(overOut);
    clip.release();
  };
  const oursOver = await measure(ctx, 'ringclip clip+writeMP4 20 s dual, over the same file', ringclipOver, {
    async: true,
    slow: true,
  });

  // ffmpeg stream copy of the same range from a ringclip-written source MP4.
  const source = `${ctx.dir}/clip-source.mp4`;
  const whole = store.clip({ from: T0, to: T0 + 26e6 });
  await whole.writeMP4(source);
  whole.release();
  const ffmpeg = ffmpegPath();
  const ffOut = `${ctx.dir}/clip-ffmpeg.mp4`;
  const ffArgs = ['-v', 'error', '-y', '-ss', '3', '-i', source, '-t', '20', '-map', '0', '-c', 'copy', ffOut];
  const ff = await measure(
    ctx,
    'ffmpeg -c copy 20 s dual',
    () => {
      rmSync(ffOut, { force: true });
      const r = spawnSync(ffmpeg, ffArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
    },
    { slow: true },
  );

  const jsOut = `${ctx.dir}/clip-mediabunny.mp4`;
  const js = await measure(
    ctx,
    'mediabunny mux 20 s dual',
    async () => {
      rmSync(jsOut, { force: true });
      writeFileSync(jsOut, await muxWithMediabunny(tracks, 'buffer'));
    },
    { async: true, slow: true },
  );

  const all = tracks.flatMap((t) => t.samples.map((s) => s.data));
  const floorDest = floorRing();
  const floor = await measure(
    ctx,
    `copy of the samples into ${floorDest.text}`,
    () => {
      for (const sample of all) floorDest.copy(sample);
    },
    { slow: true },
  );
  await store.close();

  const ms = (m) => m.mean * 1e3;
  const common = {
    value: ms(ours),
    unit: 'ms',
    extra: `${fmt(bytes / 1e6)} MB, ${samples} samples, ${fmt(bytes / ours.mean / 1e6)} MB/s`,
  };
  return [
    row({
      name: 'clip: 20 s dual clip to an MP4 file vs ffmpeg -c copy',
      ...common,
      baseline: 'ffmpeg -ss -t -c copy (spawned)',
      baselineValue: ms(ff),
      baselineUnit: 'ms',
      ratio: ff.mean / ours.mean,
      target: { text: '≥ 10× faster than ffmpeg', ok: ff.mean / ours.mean >= 10 },
    }),
    row({
      name: 'clip: 20 s dual clip to an MP4 file vs JS muxer',
      ...common,
      baseline: 'mediabunny in-process mux + writeFile',
      baselineValue: ms(js),
      baselineUnit: 'ms',
      ratio: js.mean / ours.mean,
      target: { text: '≥ 5× faster than the JS muxer', ok: js.mean / ours.mean >= 5 },
    }),
    row({
      name: 'clip: 20 s dual clip to an MP4 file vs copy floor',
      ...common,
      baseline: `copy of the same sample bytes into ${floorDest.text}`,
      baselineValue: ms(floor),
      baselineUnit: 'ms',
      ratio: floor.mean / ours.mean,
      target: { text: 'within 2× of the copy floor (ratio ≥ 0.5)', ok: floor.mean / ours.mean >= 0.5 },
    }),
    row({
      name: 'clip: 20 s dual clip over an existing MP4 file (informational) vs copy floor',
      value: ms(oursOver),
      unit: 'ms',
      extra: `written in place over the previous cycle's output, ${fmt(bytes / oursOver.mean / 1e6)} MB/s`,
      baseline: `copy of the same sample bytes into ${floorDest.text}`,
      baselineValue: ms(floor),
      baselineUnit: 'ms',
      ratio: floor.mean / oursOver.mean,
    }),
  ];
}
