/**
 * Concurrency and load (issue 4): readers during wrap — in the writer's thread (pins) and
 * in worker threads (read-only opens, checked copies; other processes:
 * cross-process-readers.test.ts) — a store closed while a flush or an export is in
 * flight, and a leak check of the create/write/clip/close loop. The soak (an hour of
 * footage at simulated speed) is test/reliability/soak.mjs (`npm run test:soak`).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore, StoreClosedError } from '../../lib/index.js';
import { T0, recordInterleaved } from '../helpers/store.js';
import { FIXTURES, decodeErrors, fixture, fixturesDir, ownStderr, splitAccessUnits } from '../helpers/tools.js';
import { scratchDir } from './crash-model.js';

const dir = scratchDir('ringclip-conc-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lib = new URL('../../dist/index.js', import.meta.url).pathname;
const FRAME_US = 33_333;
const road = splitAccessUnits(fixture(FIXTURES.road));

/** The stored payload of each road unit, from a scratch store. */
async function roadRefs(): Promise<Buffer[]> {
  const s = await SegmentStore.create(`${dir}/refs.ring`, {
    capacity: '12MiB',
    segmentSize: '1MiB',
    streams: ['road'],
  });
  road.forEach((u, i) => s.write('road', u, { pts: T0 + i * FRAME_US }));
  const refs = [...s.frames({ stream: 'road' })].map((f) => Buffer.from(f.payload));
  await s.close();
  rmSync(`${dir}/refs.ring`);
  expect(refs.length).toBe(road.length);
  return refs;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** What a reader-worker.mjs thread reports. */
interface WorkerStats {
  opens: number;
  frames: number;
  matched: number;
  torn: number;
  overruns: number;
  clips: number;
  clipErrors: string[];
  errors: string[];
}

describe('readers during wrap', () => {
  it('pinned readers in the writer thread and read-only readers in worker threads, while the ring wraps', async () => {
    const refs = await roadRefs();
    const path = `${dir}/wrap.ring`;
    // 16 segments of 1 MiB: the road stream (~0.5 MB/s) wraps the ring every ~32 s of footage.
    const store = await SegmentStore.create(path, {
      capacity: 65536 + 16 * 1048576,
      segmentSize: '1MiB',
      streams: ['road'],
    });
    let overwritten = 0;
    store.on('overwrite', (e) => {
      overwritten += e.frames;
    });
    const until = Date.now() + 6000;
    const workers = [0, 1].map(
      (w) =>
        new Worker(new URL('./reader-worker.mjs', import.meta.url), {
          workerData: {
            lib,
            path,
            refs,
            t0: T0,
            frameUs: FRAME_US,
            units: road.length,
            until,
            out: `${dir}/worker${w}.mp4`,
          },
        }),
    );
    const results = workers.map(
      (w) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );

    let next = 0,
      maxWriteMs = 0,
      mainFrames = 0,
      mainTorn = 0,
      clipsDone = 0,
      inFlight = 0;
    const writeTimes: number[] = [];
    const write = (n: number) => {
      for (let k = 0; k < n; k++, next++) {
        const t = performance.now();
        store.write('road', road[next % road.length]!, { pts: T0 + next * FRAME_US });
        const ms = performance.now() - t;
        maxWriteMs = Math.max(maxWriteMs, ms);
        writeTimes.push(ms);
      }
    };
    write(90);
    const exports: Array<Promise<void>> = [];
    while (Date.now() < until) {
      // A frame iteration that spans writes: its segment stays pinned while it is yielded.
      const it = store.frames({ stream: 'road', from: T0 + (next - 60) * FRAME_US, skipOverwritten: true });
      for (const f of it) {
        const unit = Math.round((f.pts - T0) / FRAME_US) % road.length;
        if (!refs[unit]!.equals(f.payload)) mainTorn++;
        mainFrames++;
        if (mainFrames % 10 === 0) write(3); // the writer goes on while the reader holds a pin
      }
      // A clip exported off the thread while the writer wraps under it.
      // At most 2 in flight, 6 in all: each pins up to 2 segments until it is written and
      // released; too many pins at once starve the writer (next test).
      if (exports.length < 6 && inFlight < 2) {
        inFlight++;
        const from = T0 + (next - 45) * FRAME_US;
        const clip = store.clip({ from, to: from + 1_000_000, allowPartial: true });
        const out = `${dir}/main${exports.length}.mp4`;
        exports.push(
          clip.writeMP4(out).then(() => {
            clip.release();
            inFlight--;
            if (clipsDone++ < 3) expect(decodeErrors(out)).toBe('');
            rmSync(out, { force: true });
          }),
        );
      }
      write(30);
      await tick();
    }
    await Promise.all(exports);
    const workerStats = await Promise.all(results);
    const wraps = Math.floor((next * 16_700) / (16 * 1048576));
    writeTimes.sort((a, b) => a - b);
    const p999 = writeTimes[Math.floor(writeTimes.length * 0.999)]!;
    const slow = writeTimes.filter((ms) => ms > 20).length;
    console.log(
      `readers-during-wrap: ${JSON.stringify({ framesWritten: next, wraps, overwritten, maxWriteMs, p999, slow, mainFrames, mainTorn, clipsDone, workerStats })}`,
    );
    expect(wraps).toBeGreaterThanOrEqual(3);
    expect(mainTorn).toBe(0); // pinned readers never see torn bytes
    expect(clipsDone).toBe(exports.length);
    // The write times (p999, slow) are printed above, not asserted: a wall-clock bound fails
    // on a loaded machine, not on a writer that waits for readers.
    for (const s of workerStats as WorkerStats[]) {
      expect(s.errors).toEqual([]);
      expect(s.opens).toBeGreaterThan(0);
      // What the readers saw: frames, every one compared with what was written for its pts,
      // and clips cut while the ring wrapped. Read-only readers hold no pins the writer knows
      // about: their copies are checked instead, so they see the bytes written or an
      // OverrunError (counted as overruns), never other bytes.
      expect(s.frames).toBeGreaterThan(0);
      expect(s.matched + s.torn).toBe(s.frames);
      expect(s.torn).toBe(0);
      expect(s.matched).toBeGreaterThan(0);
      expect(s.clips).toBeGreaterThan(0);
    }
    expect(store.verify().ok).toBe(true);
    await store.close();
  }, 60_000);
});

describe('pins against the writer', () => {
  it('readers pinning every reclaimable segment: the writer refuses frames (RingFullError), never blocks, and goes on once they let go', async () => {
    const store = await SegmentStore.create(`${dir}/pins.ring`, {
      capacity: 65536 + 3 * 1048576,
      segmentSize: '1MiB',
      streams: ['road'],
    });
    let next = 0;
    const write = () => store.write('road', road[next % road.length]!, { pts: T0 + next++ * FRAME_US });
    for (let i = 0; i < 150; i++) write(); // ~2.5 MB: all 3 segments live
    const clips = [store.clip({ from: T0, to: T0 + 1e6 }), store.clip({ from: T0 + 2e6, to: T0 + 3e6 })];
    let refused = 0;
    // "Never blocks" is what the loop shows by returning: each write is refused at once.
    const t = performance.now();
    for (let i = 0; i < 100; i++) {
      try {
        write();
      } catch (e) {
        expect((e as Error).name).toBe('RingFullError');
        refused++;
      }
    }
    console.log(
      `pins-against-writer: 100 writes with every segment pinned took ${(performance.now() - t).toFixed(1)} ms`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(store.info().droppedFrames).toBeGreaterThanOrEqual(refused);
    clips.forEach((c) => c.release());
    for (let i = 0; i < 100; i++) write();
    expect(store.verify().ok).toBe(true);
    await store.close();
  });
});

describe('close while work is in flight', () => {
  async function filled(name: string) {
    const store = await SegmentStore.create(`${dir}/${name}.ring`, {
      capacity: '8MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      4,
    );
    return store;
  }

  it('close() during a flush: both settle cleanly; flush() after close is a clear error', async () => {
    for (let i = 0; i < 20; i++) {
      const store = await filled(`flush${i}`);
      const flushes = [store.flush(), store.flush()];
      const closing = store.close();
      await expect(Promise.all([...flushes, closing])).resolves.toBeDefined();
      await expect(store.flush()).rejects.toBeInstanceOf(StoreClosedError);
      rmSync(store.path);
    }
  });

  it('close() during a clip export: close waits, the MP4 is whole and decodes', async () => {
    const store = await filled('export');
    const clip = store.clip({ from: T0, to: T0 + 3e6 });
    const writing = clip.writeMP4(`${dir}/inflight.mp4`);
    await store.close();
    const { bytes } = await writing;
    expect(bytes).toBeGreaterThan(100_000);
    expect(decodeErrors(`${dir}/inflight.mp4`)).toBe('');
    clip.release();
  });

  it('close() racing untracked exports (VirtualMP4.writeTo): a clear error or a whole file, never a crash', async () => {
    let whole = 0,
      refused = 0;
    for (let i = 0; i < 30; i++) {
      const store = await filled(`race${i}`);
      const clip = store.clip({ from: T0, to: T0 + 2e6 });
      const vf = clip.toVirtualMP4();
      const size = vf.size;
      const writing = vf.writeTo(`${dir}/race.mp4`).then(
        (n) => n,
        (e: Error) => e,
      );
      if (i % 3 === 0) await tick();
      await store.close();
      const r = await writing;
      if (r instanceof Error) {
        refused++;
        expect(r.message).toMatch(/closed/);
      } else {
        whole++;
        expect(r).toBe(size);
      }
      // Reading a virtual file after its store is closed: a clear error.
      expect(() => vf.read(0, 100)).toThrow(/closed/);
      clip.release();
      rmSync(store.path);
    }
    console.log(`close-race: ${JSON.stringify({ whole, refused })}`);
    expect(whole + refused).toBe(30);
  });

  it('a frame iteration across close(): views are emptied and the iteration ends with a clear error', async () => {
    const store = await filled('iter');
    const it = store.frames({ stream: 'road' });
    const first = it.next().value!;
    expect(first.payload.byteLength).toBeGreaterThan(0);
    await store.close();
    expect(first.payload.byteLength).toBe(0); // detached, not dangling
    expect(() => it.next()).toThrow(StoreClosedError);
  });
});

describe('leaks', () => {
  it('a create/write/clip/export/close loop: RSS stays flat', () => {
    // Under test:asan, ASan's quarantine holds freed memory (up to 256 MiB) and would look
    // like a leak: the child runs with it off, so RSS growth means what it means elsewhere.
    const env = /libasan/.test(process.env.LD_PRELOAD ?? '')
      ? { ...process.env, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:quarantine_size_mb=0` }
      : process.env;
    const r = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        new URL('./leak-child.mjs', import.meta.url).pathname,
        lib,
        dir,
        '80',
        `${fixturesDir}/${FIXTURES.road}`,
      ],
      { encoding: 'utf8', env },
    );
    expect(ownStderr(r.stderr)).toBe('');
    const { rss } = JSON.parse(r.stdout) as { rss: number[] };
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const early = median(rss.slice(20, 30)),
      late = median(rss.slice(70, 80));
    console.log(`leak: rss MiB at 25 ${(early / 2 ** 20).toFixed(1)}, at 75 ${(late / 2 ** 20).toFixed(1)}`);
    expect(late - early).toBeLessThan(8 * 2 ** 20);
  }, 120_000);
});

describe('soak (short)', () => {
  it('6 simulated minutes of dual-stream recording with clips: flat RSS, fixed file size, clean verify', () => {
    // The full hour is `npm run test:soak` (also part of `npm run test:crash`).
    const r = spawnSync(process.execPath, ['--expose-gc', new URL('./soak.mjs', import.meta.url).pathname], {
      encoding: 'utf8',
      env: { ...process.env, SOAK_HOURS: '0.1' },
    });
    const summary = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('}') + 1)) as {
      failures: string[];
      wraps: number;
    };
    expect(summary.failures).toEqual([]);
    expect(summary.wraps).toBeGreaterThan(3);
    expect(r.status).toBe(0);
  }, 120_000);
});
