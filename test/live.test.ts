import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { OverrunError, SegmentStore, type LiveFrame } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import {
  FIXTURES,
  decodeErrors,
  ffprobe,
  fixture,
  fixturesDir,
  frameHashes,
  splitAccessUnits,
  tempDir,
} from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('follow and liveMP4', () => {
  it('follow() yields frames from a past time, then as the writer stores them', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/f.ring`, {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2);
    const got: LiveFrame[] = [];
    const done = (async () => {
      for await (const f of store.follow({ streams: ['road'], from: T0 })) {
        got.push(f);
        if (got.length === 90) break;
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 1, T0 + 2e6);
    await done;
    expect(got.map((f) => f.pts)).toEqual(Array.from({ length: 90 }, (_, i) => T0 + Math.round((i * 1e6) / 30)));
    expect(got[0]!.randomAccess).toBe('idr');
    await store.close();
  });

  it('a follower that falls behind the wrap gets OverrunError, or skips to a key frame when asked', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/o.ring`, {
      capacity: '4MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 1);
    const strict = store.follow({ from: T0 });
    const lenient = store.follow({ from: T0, skipOverwritten: true });
    expect((await strict.next()).value!.pts).toBe(T0);
    expect((await lenient.next()).value!.pts).toBe(T0);
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 20, T0 + 1e6); // wraps past both
    // The strict follower gets what it had already read (contiguous), then the error.
    const seen: number[] = [T0];
    let error: unknown;
    try {
      for (;;) seen.push((await strict.next()).value!.pts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OverrunError);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => T0 + Math.round((i * 1e6) / 30)));
    expect(seen.length).toBeLessThan(40);
    // The lenient one skips the lost footage and resumes at a key frame.
    let next = (await lenient.next()).value!;
    while (next.pts < T0 + 1e6) next = (await lenient.next()).value!;
    expect(next.pts).toBeGreaterThan(T0 + 2e6);
    expect(next.randomAccess).toBe('idr');
    await lenient.return(undefined);
    await store.close();
  });

  it("from: 'keyframe' starts at each stream's latest key frame", async () => {
    const store = await SegmentStore.create(`${tmp.dir}/k.ring`, {
      capacity: '32MiB',
      segmentSize: '2MiB',
      streams: ['road'],
    });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2.5); // key frames at 0, 1 and 2 s
    const it = store.follow({ from: 'keyframe' });
    const first = (await it.next()).value!;
    expect(first.pts).toBe(T0 + 2e6);
    expect(first.randomAccess).toBe('idr');
    await it.return(undefined);
    await store.close();
  });

  it('liveMP4() holds back for a slow consumer instead of buffering without bound, then skips ahead', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/bp.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    const live = store.liveMP4({ streams: ['road'] });
    let origin = 0;
    live.on('origin', (us: number) => {
      origin = us;
    });
    live.pause();
    for (let s = 0; s < 30; s++) {
      recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 1, T0 + s * 1e6);
      await new Promise((r) => setImmediate(r));
    }
    expect(origin).toBe(T0);
    // ~15 MB of fragments were produced upstream; the stream holds at most ~its high-water mark.
    expect(live.readableLength).toBeLessThan(8 * 1024 * 1024);
    const chunks: Buffer[] = [];
    live.on('data', (c: Buffer) => chunks.push(c));
    live.resume();
    for (let s = 30; s < 33; s++) {
      recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 1, T0 + s * 1e6);
      await new Promise((r) => setTimeout(r, 20));
    }
    live.destroy();
    const out = `${tmp.dir}/bp.mp4`;
    writeFileSync(out, Buffer.concat(chunks));
    expect(decodeErrors(out)).toBe('');
    await store.close();
  });

  it('followers end when the store closes, and liveMP4() ends its stream', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/c.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    const follower = store.follow();
    const pending = follower.next();
    const live = store.liveMP4();
    const ended = new Promise<string>((resolve) => {
      live.on('end', () => resolve('end'));
      live.on('error', (e) => resolve(`error: ${e.message}`));
      live.resume();
    });
    await store.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await ended).toBe('end');
  });

  it('liveMP4() is fragmented MP4 of both tracks that ffmpeg decodes frame-exact', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/l.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin'],
    });
    const live = store.liveMP4({ streams: ['road', 'cabin'] });
    const chunks: Buffer[] = [];
    live.on('data', (c: Buffer) => chunks.push(c));
    // The cabin camera's clock is 0.2 ms off the road camera's: two tracks, one timeline.
    const road = splitAccessUnits(fixture(FIXTURES.road)),
      cabin = splitAccessUnits(fixture(FIXTURES.cabin));
    for (let i = 0; i < 300; i++) {
      store.write('road', road[i]!, { pts: T0 + Math.round((i * 1e6) / 30) });
      store.write('cabin', cabin[i]!, { pts: T0 + Math.round((i * 1e6) / 30) + 200 });
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    live.destroy();
    const out = `${tmp.dir}/live.mp4`;
    writeFileSync(out, Buffer.concat(chunks));
    const probe = ffprobe(out);
    expect(probe.streams.map((s) => s.tags?.handler_name)).toEqual(['road', 'cabin']);
    expect(decodeErrors(out)).toBe('');
    // Every complete GOP was sent (the last one is still open when the stream stops).
    expect(frameHashes(out, 0)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(0, 270));
    expect(frameHashes(out, 1)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.cabin}`).slice(0, 270));
    await store.close();
  });

  it('finish() sends the GOPs in progress: the end of a drive reaches the viewer, every frame of it', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/finish.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin'],
    });
    const live = store.liveMP4({ streams: ['road', 'cabin'] });
    const chunks: Buffer[] = [];
    live.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => live.once('end', resolve));
    const road = splitAccessUnits(fixture(FIXTURES.road)),
      cabin = splitAccessUnits(fixture(FIXTURES.cabin));
    // 285 frames: the last GOP (frames 270..284) is still open when the drive ends.
    for (let i = 0; i < 285; i++) {
      store.write('road', road[i]!, { pts: T0 + Math.round((i * 1e6) / 30) });
      store.write('cabin', cabin[i]!, { pts: T0 + Math.round((i * 1e6) / 30) });
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    await live.finish();
    await ended;
    const out = `${tmp.dir}/finished.mp4`;
    writeFileSync(out, Buffer.concat(chunks));
    expect(decodeErrors(out)).toBe('');
    expect(frameHashes(out, 0)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(0, 285));
    expect(frameHashes(out, 1)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.cabin}`).slice(0, 285));
    // and the last frame lasts as long as the others
    const probe = ffprobe(out);
    expect(Number(probe.streams[0]!.duration)).toBeCloseTo(285 / 30, 2);
    await store.close();
  });

  it('a writer that goes quiet mid-GOP: the frames held go out after idleFlushMs, and the GOP continues in the next fragment', async () => {
    const store = await SegmentStore.create(`${tmp.dir}/idle.ring`, {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road'],
    });
    const live = store.liveMP4({ streams: ['road'], idleFlushMs: 100 });
    const chunks: Buffer[] = [];
    live.on('data', (c: Buffer) => chunks.push(c));
    const road = splitAccessUnits(fixture(FIXTURES.road));
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        store.write('road', road[i]!, { pts: T0 + Math.round((i * 1e6) / 30) });
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    };
    await write(0, 285); // the camera pauses in the middle of the GOP that starts at 270
    await new Promise((r) => setTimeout(r, 400));
    const out = `${tmp.dir}/idle.mp4`;
    writeFileSync(out, Buffer.concat(chunks));
    expect(frameHashes(out, 0)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(0, 285));
    await write(285, 300); // and resumes: the rest of that GOP follows in the next fragment
    await live.finish();
    writeFileSync(out, Buffer.concat(chunks));
    expect(decodeErrors(out)).toBe('');
    expect(frameHashes(out, 0)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(0, 300));
    await store.close();
  });

  it('parameter sets that change mid-stream: a new init segment, and the pictures come out the same on the other side', async () => {
    // A PPS redefined before every picture (test/fixtures/corpus): each change is a new
    // sample entry, which a live stream can only announce with a new init segment.
    const file = `${fixturesDir}/corpus/ppsredef_240p30_bframes.h264`;
    const units = splitAccessUnits(readFileSync(file));
    const store = await SegmentStore.create(`${tmp.dir}/reinit.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['v'],
    });
    const live = store.liveMP4({ streams: ['v'], from: T0 - 1e6 }); // B-frames: decode times start before T0
    const chunks: Buffer[] = [];
    live.on('data', (c: Buffer) => chunks.push(c));
    // Decode order with B-frames: the store's own ingest gives the times.
    await pipeline(Readable.from([readFileSync(file)]), store.createWriteStream('v', { fps: 30, start: T0 }));
    await new Promise((r) => setTimeout(r, 50));
    await live.finish();
    const bytes = Buffer.concat(chunks);
    expect(bytes.toString('latin1').split('moov').length - 1).toBeGreaterThan(1);
    const phone = await SegmentStore.create(`${tmp.dir}/reinit-phone.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['v'],
    });
    const ingest = phone.createFragmentedIngest();
    ingest.push(bytes);
    ingest.finish();
    expect(ingest.stats.tracks[0]).toMatchObject({ stored: units.length, dropped: 0 });
    const clip = phone.clip({ from: T0, to: T0 + 10e6 });
    const out = `${tmp.dir}/reinit.mp4`;
    await clip.writeMP4(out);
    clip.release();
    expect(frameHashes(out, 0)).toEqual(frameHashes(file));
    await phone.close();
    await store.close();
  });
});
