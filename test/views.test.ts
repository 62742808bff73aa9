// Zero-copy views for servers: VirtualMP4.views() and Mp4Source.views() give exactly the bytes
// read() and the file hold, survive release()/close() (each view holds its mapping), and a
// ring store's clip gets a checked copy instead.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Mp4Source, SegmentStore, StoreClosedError } from '../lib/index.js';
import { T0, recordInterleaved, writeDualMp4 } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
let mp4 = '';
afterAll(() => tmp.cleanup());
beforeAll(async () => {
  mp4 = `${tmp.dir}/dual.mp4`;
  await writeDualMp4(`${tmp.dir}/v.ring`, mp4, 4);
});

const join = (views: Uint8Array[]) => Buffer.concat(views);

describe('VirtualMP4.views()', () => {
  it('are the bytes read() gives, for the whole file and any range, and outlive release() and close()', async () => {
    const src = await Mp4Source.open(mp4);
    const clip = src.clip({ from: { offset: 0 }, to: { offset: 60 }, streams: ['road'], allowPartial: true });
    const file = clip.toVirtualMP4();
    const whole = file.read(0);
    const views = file.views(0);
    // consecutive samples of a chunk are one view: far fewer views than samples
    expect(views.length).toBeLessThan(clip.tracks[0]!.samples);
    expect(join(views).equals(whole)).toBe(true);
    for (const [s, e] of [
      [0, 1],
      [7, 5000],
      [whole.length - 3, whole.length + 100],
      [12345, 12345],
    ] as const) {
      expect(join(file.views(s, e)).equals(whole.subarray(s, e)), `${s}-${e}`).toBe(true);
    }
    expect(file.views(5, 5)).toEqual([]);
    const again = file.views(0); // the same bytes viewed twice
    clip.release();
    file.release();
    src.close();
    expect(join(views).equals(whole)).toBe(true);
    expect(join(again).equals(whole)).toBe(true);
    expect(() => file.views(0)).toThrow(StoreClosedError);
  });

  it('checks its arguments', async () => {
    const src = await Mp4Source.open(mp4);
    const clip = src.clip({ from: { offset: 0 }, to: { offset: 1 } });
    const file = clip.toVirtualMP4();
    for (const [s, e] of [
      [-1, 2],
      [3, 2],
      [0.5, 2],
    ])
      expect(() => file.views(s!, e)).toThrow(InvalidArgumentError);
    clip.release();
    src.close();
  });

  it('of a ring store clip is one checked copy', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/r.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 3);
    const clip = store.clip({ from: T0, to: T0 + 2e6 });
    const file = clip.toVirtualMP4();
    const views = file.views(10, 20_000);
    expect(views).toHaveLength(1);
    expect(Buffer.from(views[0]!).equals(file.read(10, 20_000))).toBe(true);
    clip.release();
    await store.close();
    expect(() => file.views(0)).toThrow(StoreClosedError);
  });
});

describe('Mp4Source.views()', () => {
  it('are the file itself, as one view per range, after close() too', async () => {
    const bytes = readFileSync(mp4);
    const src = await Mp4Source.open(mp4);
    const views = src.views();
    expect(views).toHaveLength(1);
    expect(Buffer.from(views[0]!).equals(bytes)).toBe(true);
    expect(join(src.views(100, 200)).equals(bytes.subarray(100, 200))).toBe(true);
    expect(join(src.views(bytes.length - 5, bytes.length + 5)).equals(bytes.subarray(-5))).toBe(true);
    expect(src.views(9, 9)).toEqual([]);
    for (const [s, e] of [
      [-1, 2],
      [3, 2],
      [1, 2.5],
    ])
      expect(() => src.views(s!, e)).toThrow(InvalidArgumentError);
    src.close();
    expect(Buffer.from(views[0]!).equals(bytes)).toBe(true);
    expect(() => src.views()).toThrow(StoreClosedError);
  });
});
