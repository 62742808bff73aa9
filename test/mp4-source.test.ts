import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidDataError, Mp4Source, SegmentStore } from '../lib/index.js';
import { T0, ingestFixture, recordInterleaved } from './helpers/store.js';
import { FIXTURES, decodeErrors, ffmpegPath, fixturesDir, frameHashes, run, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('Mp4Source', () => {
  const ffmpegMp4 = `${tmp.dir}/ffmpeg.mp4`;
  const ffmpegFrag = `${tmp.dir}/ffmpeg-frag.mp4`;
  beforeAll(() => {
    // MP4s written by ffmpeg itself, progressive and fragmented. (ffmpeg muxes a raw stream
    // with B-frames without ctts, so its own file of the B-frame fixture is wrong: B-frames
    // are checked through a ringclip-written MP4 below.)
    const r1 = run(ffmpegPath, [
      '-v',
      'error',
      '-r',
      '30',
      '-i',
      `${fixturesDir}/${FIXTURES.cabin}`,
      '-c',
      'copy',
      '-y',
      ffmpegMp4,
    ]);
    expect(r1.status).toBe(0);
    const r2 = run(ffmpegPath, [
      '-v',
      'error',
      '-r',
      '30',
      '-i',
      `${fixturesDir}/${FIXTURES.road}`,
      '-c',
      'copy',
      '-movflags',
      'frag_keyframe+empty_moov',
      '-y',
      ffmpegFrag,
    ]);
    expect(r2.status).toBe(0);
  });

  it('cuts an ffmpeg-written progressive MP4 frame-exact', async () => {
    const src = await Mp4Source.open(ffmpegMp4);
    expect(src.tracks).toHaveLength(1);
    expect(src.tracks[0]!.samples).toBe(300);
    expect(src.tracks[0]!.syncSamples).toBe(10);
    const clip = src.clip({ from: { offset: 2.5 }, to: { offset: 4 } });
    const out = `${tmp.dir}/cut1.mp4`;
    await clip.writeMP4(out);
    expect(decodeErrors(out)).toBe('');
    // The key frame at or before 2.5 s is the IDR at frame 60 (GOP 30).
    expect(frameHashes(out)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.cabin}`).slice(60, 120));
    clip.release();
    // A closed source refuses new clips; a clip cut before keeps its hold on the file.
    const kept = src.clip({ from: { offset: 0 }, to: { offset: 1 } });
    src.close();
    expect(() => src.clip({ from: { offset: 0 }, to: { offset: 1 } })).toThrow(/closed/);
    expect(() => src.clip({ from: { offset: 0 }, to: { offset: 1 }, streams: ['x', 'x'] })).toThrow();
    await kept.writeMP4(`${tmp.dir}/kept.mp4`);
    expect(decodeErrors(`${tmp.dir}/kept.mp4`)).toBe('');
    kept.release();
  });

  it('cuts an ffmpeg-written fragmented MP4 frame-exact', async () => {
    const src = await Mp4Source.open(ffmpegFrag);
    expect(src.tracks[0]!.samples).toBe(300);
    const clip = src.clip({ from: { offset: 3.2 }, to: { offset: 5 }, align: 'exact' });
    const out = `${tmp.dir}/cut2.mp4`;
    await clip.writeMP4(out);
    expect(decodeErrors(out)).toBe('');
    expect(frameHashes(out)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(96, 150));
    clip.release();
  });

  it('re-cuts a ringclip dual clip (with B-frames), keeping both named tracks in sync', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/s.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 10);
    await ingestFixture(store, 'cabin', FIXTURES.bframes);
    const first = store.clip({ from: T0 + 1e6, to: T0 + 9e6 });
    const a = `${tmp.dir}/dual.mp4`;
    await first.writeMP4(a);
    first.release();
    await store.close();
    const src = await Mp4Source.open(a);
    expect(src.tracks.map((t) => t.name)).toEqual(['road', 'cabin']);
    expect(src.tracks.map((t) => t.codec)).toEqual(['avc1.640028', 'avc1.64001f']);
    const clip = src.clip({ from: { offset: 2 }, to: { offset: 4 }, streams: ['cabin', 'road'] });
    const out = `${tmp.dir}/recut.mp4`;
    await clip.writeMP4(out);
    expect(decodeErrors(out)).toBe('');
    // The source clip starts at road's key frame at 1 s (the later of the two: cabin's GOP
    // of 60 has one at 0 s), where both present a frame; +2 s..+4 s is 3 s..5 s of the
    // recording: road has a key frame at 3 s, cabin decodes from its own at 2 s and, like
    // road, presents from 3 s.
    expect(src.start).toBe(src.origin);
    expect(frameHashes(out, 0)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.bframes}`).slice(90, 150));
    expect(frameHashes(out, 1)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(90, 150));
    clip.release();
  });

  it('garbage and truncated files are clear errors, never crashes', async () => {
    const junk = `${tmp.dir}/junk.mp4`;
    writeFileSync(junk, randomBytes(100_000));
    await expect(Mp4Source.open(junk)).rejects.toBeInstanceOf(InvalidDataError);
    const whole = readFileSync(ffmpegMp4);
    for (const cut of [7, 100, 1000, Math.floor(whole.length / 3), whole.length - 10]) {
      const t = `${tmp.dir}/trunc${cut}.mp4`;
      writeFileSync(t, whole.subarray(0, cut));
      await expect(Mp4Source.open(t)).rejects.toThrow(/trunc\d+\.mp4'/);
    }
    await expect(Mp4Source.open(`${tmp.dir}/none.mp4`)).rejects.toThrow(/no file/);
  });
});
