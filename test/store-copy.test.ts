/**
 * Store to store (copyTo): records copied as they are stored, oldest first. The copy's
 * frames equal the source's (times, random access, payload bytes), a clip of them decodes
 * to the same pictures, a smaller destination keeps the newest and says what it dropped,
 * an empty stream is no obstacle, and bad destinations are refused before anything moves.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SegmentStore, type OverwriteEvent } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, frameHashes, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const create = (capacity: string, streams = ['road', 'cabin']) =>
  SegmentStore.create(`${tmp.dir}/s${n++}.ring`, { capacity, segmentSize: '1MiB', streams });

const framesOf = (store: SegmentStore, stream: string) =>
  [...store.frames({ stream })].map(
    (f) => `${f.pts} ${f.dts} ${f.randomAccess} ${Buffer.from(f.payload).toString('base64')}`,
  );

describe('copyTo', () => {
  it('copies every frame of every stream as it is stored; a clip of the copy decodes to the same pictures', async () => {
    const source = await create('32MiB');
    recordInterleaved(
      source,
      [
        { stream: 'road', file: FIXTURES.bframes, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      8,
    );
    const copy = await create('32MiB');
    const r = source.copyTo(copy);
    expect(r.notStored).toBe(0);
    expect(r.frames).toBe(2 * 8 * 30);
    for (const s of ['road', 'cabin']) expect(framesOf(copy, s)).toEqual(framesOf(source, s));
    const clip = (store: SegmentStore, name: string) => {
      const c = store.clip({ from: T0 + 2e6, to: T0 + 5e6, streams: ['road'] });
      const path = `${tmp.dir}/${name}.mp4`;
      return c.writeMP4(path).then(() => {
        c.release();
        return frameHashes(path);
      });
    };
    expect(await clip(copy, 'copy')).toEqual(await clip(source, 'source'));
    expect(copy.verify().ok).toBe(true);
    await source.close();
    await copy.close();
  });

  it('into a smaller store keeps the newest footage, with overwrite events there', async () => {
    const source = await create('32MiB');
    recordInterleaved(
      source,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      20,
    );
    const small = await create('6MiB');
    const lost: OverwriteEvent[] = [];
    small.on('overwrite', (e) => lost.push(e));
    const r = source.copyTo(small);
    const kept = framesOf(small, 'road');
    const all = framesOf(source, 'road');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    expect(all.slice(all.length - kept.length)).toEqual(kept); // the newest, in order
    const lostFrames = lost.reduce((k, e) => k + e.frames, 0);
    expect(r.frames).toBe(lostFrames + kept.length + framesOf(small, 'cabin').length);
    await source.close();
    await small.close();
  });

  it('a stream with no frame (the cabin a phone does not stream) is no obstacle; a range copies only its frames', async () => {
    const source = await create('16MiB');
    recordInterleaved(source, [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }], 10);
    const copy = await create('16MiB');
    const r = source.copyTo(copy, { from: T0 + 2e6, to: T0 + 6e6 });
    const got = [...copy.frames({ stream: 'road' })];
    // From the random access point at or after 'from' (a copy cannot decode from before it).
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]!.randomAccess).toBe('idr');
    expect(got.every((f) => f.pts >= T0 + 2e6 && f.pts < T0 + 6e6)).toBe(true);
    expect(r.frames).toBe(got.length);
    expect(r.notStored).toBe(4 * 30 - got.length);
    // Copying again stores nothing twice.
    const again = source.copyTo(copy, { from: T0 + 2e6, to: T0 + 6e6 });
    expect(again.frames).toBe(0);
    expect([...copy.frames({ stream: 'road' })].length).toBe(got.length);
    await source.close();
    await copy.close();
  });

  it('refuses a read-only destination, one without the streams, and itself, before anything moves', async () => {
    const source = await create('8MiB');
    recordInterleaved(source, [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }], 2);
    const other = await create('8MiB', ['front']);
    expect(() => source.copyTo(other)).toThrow(/the destination records 'front', not 'road'/);
    expect(() => source.copyTo(source)).toThrow(InvalidArgumentError);
    const path = other.path;
    await other.close();
    const readOnly = await SegmentStore.open(path, { readOnly: true });
    expect(() => source.copyTo(readOnly)).toThrow(/opened read-only/);
    expect(() => source.copyTo({} as SegmentStore)).toThrow(/needs a destination SegmentStore/);
    const fresh = await create('8MiB');
    expect(() => readOnly.copyTo(fresh)).toThrow(/this store was opened read-only/);
    await fresh.close();
    await readOnly.close();
    expect(source.verify().ok).toBe(true);
    await source.close();
  });
});
