/**
 * Key-frame timelapse: a range of footage as a movie of its stored IDR pictures, retimed,
 * with nothing re-encoded. Checked by ffmpeg: the pictures are the source's key frames,
 * decoded, in order, one per interval.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRangeError, InvalidArgumentError, Mp4Source, SegmentStore } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, decodeErrors, ffprobe, frameHashes, tempDir } from './helpers/tools.js';

const tmp = tempDir('ringclip-timelapse-');
let store: SegmentStore;
let whole: string;

beforeAll(async () => {
  store = await SegmentStore.create(join(tmp.dir, 'drive.ring'), {
    capacity: '96MiB',
    segmentSize: '4MiB',
    streams: ['road', 'cabin', { name: 'cabin-audio', kind: 'audio' }],
  });
  // 30 s of both cameras (GOP of 30 at 30 fps: a key frame every second).
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    30,
  );
  whole = join(tmp.dir, 'whole.mp4');
  const clip = store.clip({ from: T0, to: T0 + 30e6, streams: ['road', 'cabin'] });
  try {
    await clip.writeMP4(whole);
  } finally {
    clip.release();
  }
});
afterAll(async () => {
  await store?.close();
  tmp.cleanup();
});

describe('key-frame timelapse', () => {
  it('one key frame per second, both cameras, shown at 30 fps: the source key frames, decoded, nothing re-encoded', async () => {
    const lapse = store.clip({ from: T0, to: T0 + 30e6, timelapse: { every: '1s', fps: 30 } });
    const file = join(tmp.dir, 'lapse.mp4');
    try {
      expect(lapse.tracks.map((t) => [t.name, t.samples, t.syncSamples])).toEqual([
        ['road', 30, 30],
        ['cabin', 30, 30],
      ]);
      await lapse.writeMP4(file);
    } finally {
      lapse.release();
    }
    const probe = ffprobe(file, true);
    expect(probe.streams.map((s) => [s.codec_name, s.nb_read_frames])).toEqual([
      ['h264', '30'],
      ['h264', '30'],
    ]);
    expect(Number(probe.format.duration)).toBeCloseTo(1, 1);
    expect(decodeErrors(file)).toBe('');
    for (const track of [0, 1]) {
      // ffmpeg decoding only the key frames of the whole drive gives the same pictures.
      expect(frameHashes(file, track)).toEqual(frameHashes(whole, track, ['-skip_frame', 'nokey']));
    }
  });

  it('every 2 s gives half the pictures; a faster or slower rate only changes their duration', async () => {
    const lapse = store.clip({ from: T0, to: T0 + 30e6, streams: ['road'], timelapse: { every: '2s', fps: 10 } });
    const file = join(tmp.dir, 'lapse2.mp4');
    try {
      expect(lapse.tracks[0]!.samples).toBe(15);
      await lapse.writeMP4(file);
    } finally {
      lapse.release();
    }
    const probe = ffprobe(file, true);
    expect(probe.streams[0]!.nb_read_frames).toBe('15');
    expect(Number(probe.format.duration)).toBeCloseTo(1.5, 1);
    const everyOther = frameHashes(whole, 0, ['-skip_frame', 'nokey']).filter((_, i) => i % 2 === 0);
    expect(frameHashes(file, 0)).toEqual(everyOther);
  });

  it('an uploaded clip makes the same timelapse (the cloud cuts through Mp4Source)', async () => {
    const source = await Mp4Source.open(whole);
    try {
      const lapse = source.clip({ from: { offset: 0 }, to: { offset: 30 }, timelapse: {} });
      const file = join(tmp.dir, 'lapse-source.mp4');
      try {
        expect(lapse.tracks.map((t) => t.samples)).toEqual([30, 30]);
        await lapse.writeMP4(file);
      } finally {
        lapse.release();
      }
      expect(frameHashes(file, 1)).toEqual(frameHashes(whole, 1, ['-skip_frame', 'nokey']));
    } finally {
      source.close();
    }
  });

  it('refuses what it cannot make, saying why', async () => {
    expect(() => store.clip({ from: T0, to: T0 + 30e6, streams: ['road', 'cabin-audio'], timelapse: {} })).toThrow(
      /'cabin-audio' is not video/,
    );
    expect(() => store.clip({ from: T0, to: T0 + 30e6, align: 'exact', timelapse: {} })).toThrow(InvalidArgumentError);
    expect(() => store.clip({ from: T0, to: T0 + 30e6, timelapse: { fps: 0 } })).toThrow(/timelapse.fps/);
    expect(() => store.clip({ from: T0, to: T0 + 30e6, timelapse: { every: 'soon' } })).toThrow(InvalidArgumentError);
    // Open GOP: the random access points are recovery points, which need the pictures
    // before them; a key-frame timelapse takes IDR pictures only.
    const open = await SegmentStore.create(join(tmp.dir, 'open.ring'), {
      capacity: '32MiB',
      segmentSize: '4MiB',
      streams: ['road'],
    });
    try {
      recordInterleaved(open, [{ stream: 'road', file: FIXTURES.opengop, fps: 30 }], 10);
      let error: unknown;
      try {
        open.clip({ from: T0 + 4e6, to: T0 + 9e6, timelapse: {} }).release();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClipRangeError);
      expect(String(error)).toMatch(/recovery points \(open GOP or intra refresh\).*IDR pictures only/);
    } finally {
      await open.close();
    }
  });
});
