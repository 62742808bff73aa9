/**
 * Clips, virtual MP4s and HLS renditions hold native tables (samples, file layouts) that V8
 * does not see: each handle reports them (to V8, so the GC weighs dropped handles, and to
 * unreleasedNativeBytes()) until it is released.
 */
import { afterAll, expect, it } from 'vitest';
import { SegmentStore, unreleasedNativeBytes } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('a clip, its virtual MP4 and an HLS rendition count their native tables until released', async () => {
  const store = await SegmentStore.create(`${tmp.dir}/memory.ring`, {
    capacity: '96MiB',
    segmentSize: '8MiB',
    streams: ['road', 'cabin'],
  });
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    62,
  );
  try {
    const before = unreleasedNativeBytes();
    const clip = store.clip({ from: T0 + 1e6, to: T0 + 61e6 });
    const samples = clip.tracks.reduce((n, t) => n + t.samples, 0);
    expect(samples).toBeGreaterThan(3500);
    const withClip = unreleasedNativeBytes();
    // At least a few dozen bytes per sample (times, size, flags, where its bytes are).
    expect(withClip - before).toBeGreaterThan(samples * 32);
    const file = clip.toVirtualMP4();
    const withFile = unreleasedNativeBytes();
    // The file's layout (a piece per sample, the moov) and the clip's tables it keeps alive.
    expect(withFile - withClip).toBeGreaterThan(samples * 32);
    const road = store.clip({ from: T0 + 1e6, to: T0 + 61e6, streams: ['road'] });
    const hls = road.toHls();
    expect(unreleasedNativeBytes()).toBeGreaterThan(withFile);
    hls.release();
    road.release();
    expect(unreleasedNativeBytes()).toBe(withFile);
    file.release();
    expect(unreleasedNativeBytes()).toBe(withClip);
    file.release(); // twice: counted once
    clip.release();
    expect(unreleasedNativeBytes()).toBe(before);
  } finally {
    await store.close();
  }
});
