import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRangeError, SegmentStore } from '../lib/index.js';
import { T0, ingestFixture, recordInterleaved } from './helpers/store.js';
import {
  FIXTURES,
  decodeErrors,
  ffprobe,
  ffprobePath,
  fixture,
  fixturesDir,
  frameHashes,
  run,
  splitAccessUnits,
  tempDir,
} from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

// Starting at an open-GOP recovery point, ffmpeg notes that the I picture's reference
// marking names a picture from before it ("mmco: unref short failure"); the frames still
// decode exactly, which the frame hashes check.
const OPEN_GOP_NOTE = [/mmco: unref short failure/];

const SINGLE = [
  { name: 'road', file: FIXTURES.road, fps: 30, gop: 30, width: 1920, height: 1080 },
  { name: 'cabin', file: FIXTURES.cabin, fps: 30, gop: 30, width: 1280, height: 720 },
  { name: 'bframes', file: FIXTURES.bframes, fps: 30, gop: 60, width: 1280, height: 720 },
  { name: 'slices', file: FIXTURES.slices, fps: 25, gop: 50, width: 1280, height: 720 },
  { name: 'opengop', file: FIXTURES.opengop, fps: 30, gop: 90, width: 640, height: 480, allowed: OPEN_GOP_NOTE },
];

// The source's decoded frames, in presentation order, computed once per fixture.
const sourceHashes = new Map<string, string[]>();
function sourceFrames(file: string): string[] {
  if (!sourceHashes.has(file)) sourceHashes.set(file, frameHashes(`${fixturesDir}/${file}`));
  return sourceHashes.get(file)!;
}

/** Reads the top-level box types of an MP4. */
function topBoxes(path: string): string[] {
  const b = readFileSync(path);
  const out: string[] = [];
  for (let at = 0; at + 8 <= b.length;) {
    let size = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    if (size === 1) size = Number(b.readBigUInt64BE(at + 8));
    out.push(type);
    if (size < 8) break;
    at += size;
  }
  return out;
}

describe.each(SINGLE)('single-stream clips of $name', (fx) => {
  let store: SegmentStore;
  beforeAll(async () => {
    store = await SegmentStore.create(`${tmp.dir}/${fx.name}.ring`, {
      capacity: '24MiB',
      segmentSize: '2MiB',
      streams: [fx.name],
    });
    await ingestFixture(store, fx.name, fx.file, T0, fx.fps);
  });
  afterAll(() => store.close());

  const frameUs = (k: number) => T0 + Math.round((k * 1e6) / fx.fps);

  it('keyframe-aligned: right codec, size and frame count; moov first; first sample sync; decodes clean and frame-exact', async () => {
    // From the middle of the second GOP to the middle of the third.
    const fromFrame = Math.floor(fx.gop * 1.5),
      toFrame = Math.floor(fx.gop * 2.5);
    const clip = store.clip({ from: frameUs(fromFrame), to: frameUs(toFrame) });
    const out = `${tmp.dir}/${fx.name}-key.mp4`;
    await clip.writeMP4(out);
    const boxes = topBoxes(out);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    const probe = ffprobe(out, true);
    expect(probe.streams).toHaveLength(1);
    const s = probe.streams[0]!;
    expect(s.codec_name).toBe('h264');
    expect([s.width, s.height]).toEqual([fx.width, fx.height]);
    // Presents from the random access point at or before `from` (frame gop) to the last frame before `to`.
    const expectedFrames = toFrame - fx.gop;
    expect(Number(s.nb_read_frames)).toBe(expectedFrames);
    expect(Number(s.duration)).toBeCloseTo(expectedFrames / fx.fps, 2);
    expect(clip.tracks[0]!.syncSamples).toBeGreaterThanOrEqual(1);
    expect(decodeErrors(out, fx.allowed)).toBe('');
    expect(frameHashes(out)).toEqual(sourceFrames(fx.file).slice(fx.gop, toFrame));
    clip.release();
  });

  it('exact: presentation starts at `from` and lasts to `to`, frame-exact', async () => {
    const fromFrame = Math.floor(fx.gop * 1.5),
      toFrame = Math.floor(fx.gop * 2.5);
    const clip = store.clip({ from: frameUs(fromFrame), to: frameUs(toFrame), align: 'exact' });
    const out = `${tmp.dir}/${fx.name}-exact.mp4`;
    await clip.writeMP4(out);
    const probe = ffprobe(out, true);
    const s = probe.streams[0]!;
    expect(Math.abs(Number(s.duration) - (toFrame - fromFrame) / fx.fps)).toBeLessThanOrEqual(1 / fx.fps);
    expect(decodeErrors(out, fx.allowed)).toBe('');
    expect(frameHashes(out)).toEqual(sourceFrames(fx.file).slice(fromFrame, toFrame));
    clip.release();
  });

  it('raw Annex B export decodes to the same frames', async () => {
    const clip = store.clip({ from: frameUs(fx.gop), to: frameUs(fx.gop * 2) });
    const out = `${tmp.dir}/${fx.name}.h264`;
    await clip.writeMP4(out, { format: 'h264' });
    // Raw H.264 has no edit list: a reference frame decoded before `to` but presented after
    // it (B-frames) is shown too. Everything before is frame-exact.
    const got = frameHashes(out),
      want = sourceFrames(fx.file).slice(fx.gop, fx.gop * 2);
    expect(got.slice(0, want.length)).toEqual(want);
    expect(got.length - want.length).toBeLessThanOrEqual(2);
    clip.release();
  });

  it('fragmented: ffprobe-clean and frame-exact', async () => {
    const clip = store.clip({ from: frameUs(0), to: frameUs(fx.gop * 3) });
    const out = `${tmp.dir}/${fx.name}-frag.mp4`;
    await clip.writeMP4(out, { fragmented: true });
    expect(topBoxes(out).slice(0, 5)).toEqual(['ftyp', 'prft', 'moov', 'sidx', 'moof']);
    expect(decodeErrors(out, fx.allowed)).toBe('');
    // ffmpeg does not apply edit lists to fragmented files: as with raw H.264, a reference
    // frame presented after `to` may show at the end.
    const got = frameHashes(out),
      want = sourceFrames(fx.file).slice(0, fx.gop * 3);
    expect(got.slice(0, want.length)).toEqual(want);
    expect(got.length - want.length).toBeLessThanOrEqual(2);
    clip.release();
  });
});

describe('dual-stream clips', () => {
  let store: SegmentStore;
  beforeAll(async () => {
    store = await SegmentStore.create(`${tmp.dir}/dual.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin'],
    });
    // Offset the cabin camera by 0.4 s so the two streams' key frames do not line up.
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 10);
    await ingestFixture(store, 'cabin', FIXTURES.cabin, T0 + 400_000, 30);
  });
  afterAll(() => store.close());

  it('two enabled, named tracks on one timeline, both decodable', async () => {
    const clip = store.clip({ from: T0 + 3.5e6, to: T0 + 7.5e6, streams: ['road', 'cabin'] });
    const out = `${tmp.dir}/dual.mp4`;
    await clip.writeMP4(out);
    const probe = ffprobe(out, true);
    expect(probe.streams.map((s) => s.tags?.handler_name)).toEqual(['road', 'cabin']);
    expect(probe.streams.map((s) => [s.width, s.height])).toEqual([
      [1920, 1080],
      [1280, 720],
    ]);
    // Both tracks are enabled (ffmpeg marks only the default one otherwise).
    expect(decodeErrors(out)).toBe('');
    // Road's key frame is at 3.0 s, cabin's at 3.4 s: the clip starts at 3.4 s, where both
    // have a frame to present, so both tracks present their first frame at time 0 (road
    // decodes from its key frame at 3.0 s; its edit list starts presentation at 3.4 s).
    const [road, cabin] = probe.streams;
    expect([Number(road!.start_time), Number(cabin!.start_time)]).toEqual([0, 0]);
    expect(frameHashes(out, 0)).toEqual(sourceFrames(FIXTURES.road).slice(102, 225));
    expect(frameHashes(out, 1)).toEqual(sourceFrames(FIXTURES.cabin).slice(90, 213));
    clip.release();
  });

  it('a virtual MP4: random byte ranges concatenate to the written file; size and ETag up front', async () => {
    const clip = store.clip({ from: T0 + 1e6, to: T0 + 9e6 });
    const out = `${tmp.dir}/virtual.mp4`;
    await clip.writeMP4(out);
    const written = readFileSync(out);
    const v = clip.toVirtualMP4();
    expect(v.size).toBe(written.length);
    expect(v.contentType).toBe('video/mp4');
    expect(v.etag).toMatch(/^"rc\d+-/);
    expect(clip.toVirtualMP4().etag).toBe(v.etag);
    expect(clip.toVirtualMP4({ fragmented: true }).etag).not.toBe(v.etag);
    let x = 7;
    const parts: Buffer[] = [];
    for (let at = 0; at < v.size;) {
      x = (x * 48271) % 2147483647;
      const len = 1 + (x % 200_000);
      parts.push(v.read(at, at + len));
      at += len;
    }
    expect(Buffer.concat(parts).equals(written)).toBe(true);
    clip.release();
  });

  it('co64: 64-bit chunk offsets are written and read correctly', async () => {
    const clip = store.clip({ from: T0 + 1e6, to: T0 + 4e6 });
    const out = `${tmp.dir}/co64.mp4`;
    await clip.writeMP4(out, { forceCo64: true });
    expect(readFileSync(out).includes(Buffer.from('co64'))).toBe(true);
    expect(decodeErrors(out)).toBe('');
    expect(frameHashes(out, 0)).toEqual(sourceFrames(FIXTURES.road).slice(30, 120));
    clip.release();
  });

  it('a range with no retained footage is a ClipRangeError saying what is retained', () => {
    expect(() => store.clip({ from: T0 + 100e6, to: T0 + 110e6 })).toThrow(ClipRangeError);
    expect(() => store.clip({ from: T0 + 100e6, to: T0 + 110e6 })).toThrow(
      /retains 2026-01-01T00:00:00.000Z to 2026-01-01T00:00:09/,
    );
  });
});

describe('partly overwritten ranges', () => {
  it('is an error unless allowPartial, which clips what remains and says so', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/partial.ring`, {
      capacity: '6MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 30);
    const first = store.info().streams[0]!.first!;
    expect(first).toBeGreaterThan(T0);
    expect(() => store.clip({ from: T0, to: first + 2e6 })).toThrow(/no longer retained.*allowPartial/);
    const clip = store.clip({ from: T0, to: first + 2e6, allowPartial: true });
    expect(clip.partial).toBe(true);
    expect(clip.tracks[0]!.note).toMatch(/the beginning was overwritten/);
    const out = `${tmp.dir}/partial.mp4`;
    await clip.writeMP4(out);
    expect(decodeErrors(out)).toBe('');
    clip.release();
    await store.close();
  });

  it('of several streams, one with nothing in the range: an error naming it and the option; allowPartial clips the others', async () => {
    // The phone's ring: road streamed, cabin never.
    const store = await SegmentStore.create(`${tmp.dir}/one-empty.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 4);
    expect(() => store.clip({ from: T0, to: T0 + 2e6 })).toThrow(
      /no retained footage of 'cabin'.*nothing of 'cabin' is retained.*pass allowPartial to clip the other streams without 'cabin'/,
    );
    const clip = store.clip({ from: T0, to: T0 + 2e6, allowPartial: true });
    expect(clip.tracks.map((t) => t.name)).toEqual(['road']);
    expect(clip.partial).toBe(true);
    expect(clip.empty).toEqual([{ stream: 'cabin', reason: expect.stringMatching(/nothing of 'cabin' is retained/) }]);
    const out = `${tmp.dir}/one-empty.mp4`;
    await clip.writeMP4(out);
    clip.release();
    expect(ffprobe(out, true).streams.map((s) => Number(s.nb_read_frames))).toEqual([60]);
    expect(decodeErrors(out)).toBe('');
    // Nothing in any stream is still an error, allowPartial or not.
    expect(() => store.clip({ from: T0 + 60e6, to: T0 + 62e6, allowPartial: true })).toThrow(/no retained footage/);
    await store.close();
  });
});

describe('decode times closer than a tick of the file clock', () => {
  // The store keeps decode times to the µs; MP4 tracks count 90 kHz ticks (11.1 µs). Frames
  // written 1 µs apart fell on one tick: samples of no duration, made one tick long, which
  // put every later frame of the file (of the fragment) that much late.
  it('move the later frame to the next tick: every export decodes, decode times increase, later frames keep their times', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/ticks.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['cabin'],
    });
    const units = splitAccessUnits(fixture(FIXTURES.cabin)).slice(0, 60);
    let pts = T0;
    const times: number[] = [];
    units.forEach((u, k) => {
      // Frames 10 and 11 each 1 µs after the one before: 9, 10 and 11 within one tick.
      if (k > 0) pts += k === 10 || k === 11 ? 1 : 33333;
      store.write('cabin', u, { pts });
      times.push(pts);
    });
    const clip = store.clip({ from: T0, to: pts + 1 });
    for (const [name, options] of [
      ['progressive', {}],
      ['fragmented', { fragmented: true }],
    ] as const) {
      const out = `${tmp.dir}/ticks-${name}.mp4`;
      await clip.writeMP4(out, options);
      // In the file's own time base: ffmpeg's default output rate (a guessed 30 fps) would put
      // frames µs apart on one output tick again, a complaint of its null muxer, not the file.
      expect(decodeErrors(out, [], ['-enc_time_base', '-1']), name).toBe('');
      const r = run(ffprobePath, [
        '-v',
        'error',
        '-select_streams',
        'v',
        '-show_entries',
        'packet=dts',
        '-of',
        'csv=p=0',
        out,
      ]);
      const dts = r.stdout.trim().split('\n').map(Number);
      expect(dts.length, name).toBe(60);
      for (let i = 1; i < dts.length; i++) expect(dts[i], `${name} packet ${i}`).toBeGreaterThan(dts[i - 1]!);
      // Only those frames moved: every later one decodes at its own time, no tick late (a
      // sample of one tick's duration would otherwise push all of them later).
      for (let i = 12; i < dts.length; i++)
        expect(dts[i], `${name} packet ${i}`).toBe(Math.round(((times[i]! - T0) * 9) / 100));
    }
    const hls = clip.toHls();
    expect(hls.file.size).toBe(hls.size);
    hls.release();
    clip.release();
    await store.close();
  });
});
