import { afterAll, describe, expect, it } from 'vitest';
import { ProtectionLimitError, SegmentStore } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const road = [{ stream: 'road', file: FIXTURES.road, fps: 30 }];

describe('protection and pins', () => {
  it('a protected range survives many wraps, and is overwritten once released', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/p.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road'],
      protectCap: 0.5,
    });
    recordInterleaved(store, road, 6);
    const p = store.protect({ from: T0 + 2e6, to: T0 + 3e6 });
    recordInterleaved(store, road, 60, T0 + 6e6); // ~4x the ring
    expect(store.info().overwrittenFrames).toBeGreaterThan(1000);
    const kept = [...store.frames({ stream: 'road', from: T0 + 2e6, to: T0 + 3e6 })];
    expect(kept.length).toBe(30);
    // Clippable from its key frame: the protection reaches back to the random access point.
    const clip = store.clip({ from: T0 + 2.5e6, to: T0 + 3e6 });
    expect(clip.tracks[0]!.first).toBe(T0 + 2e6);
    clip.release();
    p.release();
    recordInterleaved(store, road, 30, T0 + 66e6);
    expect([...store.frames({ stream: 'road', from: T0 + 2e6, to: T0 + 3e6 })].length).toBe(0);
    await store.close();
  });

  it('protections are kept in the file: they survive close and reopen', async () => {
    const path = `${tmp.dir}/persist.ring`;
    const store = await SegmentStore.create(path, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road'],
      protectCap: 0.5,
    });
    recordInterleaved(store, road, 6);
    const p = store.protect({ from: T0 + 1e6, to: T0 + 2e6 });
    await store.close();
    const again = await SegmentStore.open(path);
    expect(again.protections().map((x) => [x.id, x.from, x.to])).toEqual([[p.id, T0 + 1e6, T0 + 2e6]]);
    recordInterleaved(again, road, 60, T0 + 6e6);
    expect([...again.frames({ stream: 'road', from: T0 + 1e6, to: T0 + 2e6 })].length).toBe(30);
    again.protections()[0]!.release();
    expect(again.protections()).toEqual([]);
    await again.close();
  });

  it('enforces the protected cap with a clear error and nothing lost', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/cap.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road'],
      protectCap: 0.3,
    });
    recordInterleaved(store, road, 10);
    const before = store.info();
    let error: unknown;
    try {
      store.protect({ from: T0, to: T0 + 10e6 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtectionLimitError);
    expect((error as Error).message).toMatch(/over the cap of \d+ MiB/);
    expect(store.protections()).toEqual([]);
    expect(store.info().streams).toEqual(before.streams);
    // A range inside the cap is accepted.
    const ok = store.protect({ from: T0 + 8e6, to: T0 + 9e6 });
    expect(store.info().protectedBytes).toBeGreaterThan(0);
    expect(store.info().protectedBytes).toBeLessThanOrEqual(store.info().protectCapBytes);
    ok.release();
    await store.close();
  });

  it('a range reaching into the future is protected as it is recorded (event windows)', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/future.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road'],
      protectCap: 0.5,
    });
    recordInterleaved(store, road, 5);
    store.protect({ from: T0 + 4e6, to: T0 + 7e6 }); // 1 s past, 2 s to come
    recordInterleaved(store, road, 60, T0 + 5e6);
    expect([...store.frames({ stream: 'road', from: T0 + 4e6, to: T0 + 7e6 })].length).toBe(90);
    await store.close();
  });

  it('frames() pins its segment: the writer skips it while iterating', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/pin.ring`, {
      capacity: '6MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    recordInterleaved(store, road, 4);
    const it = store.frames({ stream: 'road' });
    const first = it.next().value!;
    const copy = Buffer.from(first.payload);
    recordInterleaved(store, road, 30, T0 + 4e6); // wraps several times around the pinned segment
    expect(Buffer.from(first.payload).equals(copy)).toBe(true);
    let n = 1;
    try {
      for (const f of it) {
        void f;
        n++;
      }
    } catch (e) {
      expect((e as Error).message).toMatch(/overwritten while iterating/);
    }
    expect(n).toBeGreaterThan(1);
    await store.close();
  });
});
