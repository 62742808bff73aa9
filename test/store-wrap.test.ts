import { statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RingFullError, SegmentStore, type OverwriteEvent } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('loop recording', () => {
  it('wraps: constant file size, newest footage kept, overwrite events, oldest time only moves forward', async () => {
    const path = `${tmp.dir}/wrap.ring`;
    // Road alone is ~4 Mbit/s (0.5 MB/s): 60 s is ~30 MB through a 10 MiB ring.
    const store = await SegmentStore.create(path, {
      capacity: '10MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    const size = statSync(path).size;
    expect(size).toBe(10 * 1024 * 1024);
    const events: OverwriteEvent[] = [];
    store.on('overwrite', (e) => events.push(e));
    let oldest = -Infinity;
    for (let minute = 0; minute < 6; minute++) {
      recordInterleaved(
        store,
        [
          { stream: 'road', file: FIXTURES.road, fps: 30 },
          { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
        ],
        10,
        T0 + minute * 10e6,
      );
      const info = store.info();
      const first = Math.min(...info.streams.map((s) => s.first ?? Infinity));
      expect(first).toBeGreaterThanOrEqual(oldest);
      oldest = first;
      expect(statSync(path).size).toBe(size);
    }
    const info = store.info();
    expect(events.length).toBeGreaterThan(0);
    expect(info.overwrittenFrames).toBe(events.reduce((n, e) => n + e.frames, 0));
    // The newest footage is retained: the last frame written is the last one stored.
    expect(info.streams[0]!.last).toBe(T0 + 60e6 - Math.round(1e6 / 30));
    expect(info.streams[0]!.frames + info.streams[0]!.overwrittenFrames).toBe(1800);
    // Events come oldest first and never overlap what is still retained.
    for (const e of events) expect(e.to).toBeLessThan(info.streams.find((s) => s.name === e.stream)!.first!);
    expect(store.verify().ok).toBe(true);
    await store.close();
    expect(statSync(path).size).toBe(size);
  });

  it('keeps every stored random access point decodable after its parameter sets were overwritten', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/params.ring`, {
      capacity: '6MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 40);
    const info = store.info().streams[0]!;
    expect(info.overwrittenFrames).toBeGreaterThan(0);
    // Every retained key frame can be clipped alone: its SPS/PPS are still in the store.
    for (const f of store.frames({ stream: 'road' })) {
      if (!f.randomAccess) continue;
      const clip = store.clip({ from: f.pts, to: f.pts + 1000, streams: ['road'] });
      expect(clip.tracks[0]!.samples).toBe(1);
      clip.release();
    }
    await store.close();
  });

  it('fails a write with RingFullError when nothing can be reclaimed, and counts the dropped frame', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/full.ring`, {
      capacity: '4MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 5);
    const info0 = store.info();
    // A clip of everything pins every live segment; the ring has 3.
    const clip = store.clip({ from: T0, to: T0 + 5e6 });
    expect(store.info().pinnedSegments).toBe(info0.liveSegments);
    let error: unknown;
    try {
      recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 20, T0 + 5e6);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RingFullError);
    expect((error as RingFullError).code).toBe('ERR_NO_SPACE');
    expect((error as Error).message).toMatch(/no segment can be reclaimed.*pinned by readers/);
    const info = store.info();
    expect(info.droppedFrames).toBe(1);
    expect(store.verify().ok).toBe(true);
    // What was stored before is intact, and recording resumes once the pins go.
    expect(info.streams[0]!.first).toBe(info0.streams[0]!.first);
    clip.release();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 20, T0 + 30e6);
    expect(store.info().streams[0]!.last).toBe(T0 + 50e6 - Math.round(1e6 / 30));
    await store.close();
  });
});
