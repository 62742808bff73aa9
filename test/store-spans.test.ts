/** store.spans(): what a stream covers, from the index. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SegmentStore } from '../lib/index.js';
import { recordInterleaved, T0 } from './helpers/store.js';
import { FIXTURES, fixture, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir('ringclip-spans-');
afterAll(() => tmp.cleanup());

describe('spans()', () => {
  it('lists runs of contiguous footage, broken at gaps, with exact ends', async () => {
    const store = await SegmentStore.create(join(tmp.dir, 's.ring'), {
      capacity: '32MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    // 4 s, a 3 s hole (a dropped link), 2 s more; cabin at 15 fps only in the first part
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 15 },
      ],
      4,
      T0,
    );
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2, T0 + 7e6);
    const frame = (i: number) => Math.round((i * 1e6) / 30);
    expect(store.spans('road')).toEqual([
      { from: T0, to: T0 + frame(119) + 33_333, frames: 120 }, // + one frame: the smallest step
      { from: T0 + 7e6, to: T0 + 7e6 + frame(59) + 33_333, frames: 60 },
    ]);
    expect(store.spans('cabin')).toHaveLength(1);
    expect(store.spans('cabin')[0]!.frames).toBe(60);
    // a gap tolerance beyond the hole joins the runs; a range cuts them
    expect(store.spans('road', { maxGap: '5s' })).toHaveLength(1);
    expect(store.spans('road', { from: T0 + 1e6, to: T0 + 8e6 }).map((s) => s.frames)).toEqual([90, 30]);
    expect(store.spans('road', { from: T0 + 4.5e6, to: T0 + 6e6 })).toEqual([]);
    expect(() => store.spans('road', { maxGap: 0 })).toThrow(InvalidArgumentError);
    // A timelapse (a frame a second, as a parked dashcam records) is one run at its own
    // rate; a hole in it still breaks it.
    const units = splitAccessUnits(fixture(FIXTURES.road));
    const lapse = T0 + 20e6;
    for (let i = 0; i < 10; i++) store.write('road', units[0]!, { pts: lapse + i * 1e6 });
    for (let i = 15; i < 20; i++) store.write('road', units[0]!, { pts: lapse + i * 1e6 });
    expect(store.spans('road', { from: lapse })).toEqual([
      { from: lapse, to: lapse + 10e6, frames: 10 },
      { from: lapse + 15e6, to: lapse + 20e6, frames: 5 },
    ]);
    expect(() => store.spans('rear')).toThrow(/rear/);
    await store.close();
  });
});
