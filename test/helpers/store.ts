/** Building stores from the fixtures for tests. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SegmentStore } from '../../lib/index.js';
import { FIXTURES, fixture, splitAccessUnits } from './tools.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;

/** Feeds a fixture through a write stream. */
export async function ingestFixture(
  store: SegmentStore,
  stream: string,
  file: string,
  start = T0,
  fps = 30,
): Promise<void> {
  await pipeline(Readable.from([fixture(file)]), store.createWriteStream(stream, { fps, start }));
}

/**
 * Writes access units of several streams interleaved by time, as cameras deliver them:
 * `seconds` of footage, each fixture looped with its timestamps continuing.
 */
export function recordInterleaved(
  store: SegmentStore,
  sources: Array<{ stream: string; file: string; fps: number }>,
  seconds: number,
  start = T0,
): void {
  const feeds = sources.map((s) => ({ ...s, units: splitAccessUnits(fixture(s.file)), next: 0 }));
  const end = start + seconds * 1e6;
  for (;;) {
    let best: (typeof feeds)[number] | null = null;
    let bestTime = Infinity;
    for (const f of feeds) {
      const t = start + Math.round((f.next * 1e6) / f.fps);
      if (t < end && t < bestTime) {
        best = f;
        bestTime = t;
      }
    }
    if (!best) break;
    store.write(best.stream, best.units[best.next % best.units.length]!, { pts: bestTime });
    best.next++;
  }
}

/** A 64 MiB store at `path` with the fixtures' road and cabin cameras, `seconds` of each at 30 fps from T0. */
export async function recordDualStore(path: string, seconds: number): Promise<SegmentStore> {
  const store = await SegmentStore.create(path, { capacity: '64MiB', segmentSize: '4MiB', streams: ['road', 'cabin'] });
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    seconds,
  );
  return store;
}

/** The dual MP4 of `seconds` of recordDualStore() footage, written to `mp4` (the store is closed). */
export async function writeDualMp4(ringPath: string, mp4: string, seconds: number): Promise<void> {
  const store = await recordDualStore(ringPath, seconds + 1);
  const clip = store.clip({ from: T0, to: T0 + seconds * 1e6 });
  await clip.writeMP4(mp4);
  clip.release();
  await store.close();
}
