/**
 * Writing into cold storage (docs/FORMAT.md, "Writing into cold storage"): the writer's
 * next segment is made ready on another thread; when it holds old footage that is not in
 * the page cache, that footage is reclaimed one segment early and its blocks dropped
 * (fallocate ZERO_RANGE) instead of being read back. 'discard' forces that path whether or
 * not the pages are resident, so it is tested here on a warm machine: nothing written is
 * lost or changed beyond the segment reclaimed early, the overwrite events account for
 * every frame, and a copy of the file taken mid-recording (a crash) opens to frames that
 * are all exactly what was written.
 */
import { copyFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore } from '../lib/index.js';
import { T0 } from './helpers/store.js';
import { FIXTURES, fixture, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const SEGMENT = 1 << 20;
const SEGMENTS = 10;
const units = splitAccessUnits(fixture(FIXTURES.cabin));

/** cabin frame k at pts T0 + k/30 s: a frame's bytes follow from its pts. */
const ptsOf = (k: number) => T0 + Math.round((k * 1e6) / 30);

// The stored payload of every fixture frame, from a store that never wraps: stored frames
// of the ring under test must equal it for their pts (frame k is fixture unit k mod n).
const reference = new Map<number, Buffer>();
async function loadReference(): Promise<void> {
  if (reference.size) return;
  const store = await SegmentStore.create(`${tmp.dir}/reference.ring`, {
    capacity: '64MiB',
    segmentSize: '8MiB',
    streams: ['cabin'],
    prepareAhead: 'off',
  });
  for (let k = 0; k < units.length; k++) store.write('cabin', units[k]!, { pts: ptsOf(k) });
  for (const f of store.frames({ stream: 'cabin' }))
    reference.set(Math.round(((f.pts - T0) * 30) / 1e6), Buffer.from(f.payload));
  await store.close();
}

function checkFrames(store: SegmentStore): number {
  let n = 0;
  for (const f of store.frames({ stream: 'cabin' })) {
    const k = Math.round(((f.pts - T0) * 30) / 1e6) % units.length;
    expect(Buffer.from(f.payload).equals(reference.get(k)!), `frame at ${f.pts}`).toBe(true);
    n++;
  }
  return n;
}

describe("prepareAhead: 'discard'", () => {
  it('loop recording reclaims one segment early, loses nothing else, and accounts every frame', async () => {
    await loadReference();
    const path = `${tmp.dir}/discard.ring`;
    const store = await SegmentStore.create(path, {
      capacity: 65536 + SEGMENTS * SEGMENT,
      segmentSize: SEGMENT,
      streams: ['cabin'],
      prepareAhead: 'discard',
    });
    let overwritten = 0;
    store.on('overwrite', (e) => {
      overwritten += e.frames;
    });
    const total = 30 * 150; // 150 s of 720p (~15 MB): the ring wraps
    for (let k = 0; k < total; k++) store.write('cabin', units[k % units.length]!, { pts: ptsOf(k) });
    await new Promise((r) => setImmediate(r)); // overwrite events are delivered asynchronously
    const kept = checkFrames(store);
    const info = store.info();
    expect(kept + overwritten).toBe(total);
    expect(info.streams[0]!.overwrittenFrames).toBe(overwritten);
    // At most two segments hold no footage: the one being written and the reserve.
    expect(info.liveSegments).toBeGreaterThanOrEqual(SEGMENTS - 2);
    const stats = store.prepareStats;
    expect(stats.segmentsDiscarded).toBeGreaterThan(5);
    expect(stats.hintFailures).toBe(0);
    // A copy taken while recording, without a flush: what a crash leaves.
    copyFileSync(path, `${path}.crash`);
    for (let k = total; k < total + 300; k++) store.write('cabin', units[k % units.length]!, { pts: ptsOf(k) });
    const keptFinal = checkFrames(store);
    await store.close();
    const crashed = await SegmentStore.open(`${path}.crash`, { readOnly: true });
    expect(checkFrames(crashed)).toBeGreaterThan(0);
    await crashed.close();
    const reopened = await SegmentStore.open(path, { readOnly: true });
    expect(checkFrames(reopened)).toBe(keptFinal);
    expect(reopened.verify().ok).toBe(true);
    expect(reopened.recovery.segmentsScanned).toBeLessThanOrEqual(1);
    await reopened.close();
  });

  it("'auto' on a warm ring keeps every segment's footage until the writer needs it", async () => {
    // 1080p road frames (IDR ~100 KB): a segment's last record ends well before its index
    // block, so pages in between were never written: the ring is still warm.
    const road = splitAccessUnits(fixture(FIXTURES.road));
    const path = `${tmp.dir}/auto.ring`;
    // Written first without the preparer (which would have made every page resident), then
    // reopened with it: the pages are in the cache, but not those gaps.
    const first = await SegmentStore.create(path, {
      capacity: 65536 + SEGMENTS * SEGMENT,
      segmentSize: SEGMENT,
      streams: ['cabin'],
      prepareAhead: 'off',
    });
    for (let k = 0; k < 30 * 40; k++) first.write('cabin', road[k % road.length]!, { pts: ptsOf(k) });
    await first.close();
    const store = await SegmentStore.open(path);
    for (let k = 30 * 41; k < 30 * 60; k++) store.write('cabin', road[k % road.length]!, { pts: ptsOf(k) });
    expect(store.info().overwrittenFrames).toBeGreaterThan(0);
    // Every segment holds footage: none was reclaimed before the writer needed it (free
    // segments of the fresh file may have had their blocks dropped: they held nothing).
    expect(store.info().liveSegments).toBe(SEGMENTS);
    expect(store.prepareStats.hintFailures).toBe(0);
    await store.close();
  });

  it('rejects an unknown prepareAhead', async () => {
    await expect(
      SegmentStore.create(`${tmp.dir}/bad.ring`, {
        capacity: '4MiB',
        segmentSize: '1MiB',
        streams: ['a'],
        prepareAhead: 'eager' as never,
      }),
    ).rejects.toThrow(/prepareAhead must be 'auto', 'discard' or 'off', got "eager"/);
  });
});
