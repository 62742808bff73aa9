import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore } from '../lib/index.js';
import { FIXTURES, fixture, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

// What the fixtures' README says (frames, IDR pictures, recovery points).
const EXPECTED = [
  { file: FIXTURES.road, frames: 300, idr: 10, recovery: 0, width: 1920, height: 1080, codec: /^avc1\.64/ },
  { file: FIXTURES.cabin, frames: 300, idr: 10, recovery: 0, width: 1280, height: 720, codec: /^avc1\.4d/ },
  { file: FIXTURES.bframes, frames: 300, idr: 5, recovery: 0, width: 1280, height: 720, codec: /^avc1\.64/ },
  { file: FIXTURES.slices, frames: 250, idr: 5, recovery: 0, width: 1280, height: 720, codec: /^avc1\.64/ },
  { file: FIXTURES.opengop, frames: 300, idr: 1, recovery: 3, width: 640, height: 480, codec: /^avc1\.64/ },
];

let counter = 0;
async function ingest(file: string, chunker: (data: Buffer) => Buffer[]): Promise<SegmentStore> {
  const store = await SegmentStore.create(`${tmp.dir}/s${counter++}.ring`, {
    capacity: '48MiB',
    segmentSize: '4MiB',
    streams: ['cam'],
  });
  const w = store.createWriteStream('cam', { fps: 30, start: '2026-01-01T00:00:00Z' });
  await pipeline(Readable.from(chunker(fixture(file))), w);
  return store;
}

function randomChunks(seed: number) {
  return (data: Buffer): Buffer[] => {
    let x = seed;
    const rand = () => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const out: Buffer[] = [];
    for (let i = 0; i < data.length;) {
      // Sizes from 1 byte to 1 MiB, most of them small so start codes get split often.
      const r = rand();
      const size =
        r < 0.5
          ? 1 + Math.floor(rand() * 8)
          : r < 0.9
            ? 1 + Math.floor(rand() * 4096)
            : 1 + Math.floor(rand() * 1024 * 1024);
      out.push(data.subarray(i, i + size));
      i += size;
    }
    return out;
  };
}

/** Timing, kind, size and the stored bytes themselves (a hash) of every frame. */
function snapshot(store: SegmentStore): Array<[number, number, string | null, number, string]> {
  return [...store.frames({ stream: 'cam' })].map((f) => [
    f.dts,
    f.pts,
    f.randomAccess,
    f.size,
    createHash('sha1').update(f.payload).digest('hex'),
  ]);
}

describe.each(EXPECTED)('fixture $file', (exp) => {
  it('stores every access unit with its random access points', async () => {
    const store = await ingest(exp.file, (d) => [d]);
    const s = store.info().streams[0]!;
    expect(s.frames).toBe(exp.frames);
    expect(s.idrFrames).toBe(exp.idr);
    expect(s.recoveryPoints).toBe(exp.recovery);
    expect(s.keyframes).toBe(exp.idr + exp.recovery);
    expect([s.width, s.height]).toEqual([exp.width, exp.height]);
    expect(s.codec).toMatch(exp.codec);
    expect(s.droppedFrames).toBe(0);
    expect(s.rejectedUnits).toBe(0);
    // Decode order is strictly increasing; presentation times are unique and evenly spaced.
    const frames = snapshot(store);
    for (let i = 1; i < frames.length; i++) expect(frames[i]![0]).toBeGreaterThan(frames[i - 1]![0]);
    const pts = frames.map((f) => f[1]).sort((a, b) => a - b);
    for (let i = 1; i < pts.length; i++) expect(Math.abs(pts[i]! - pts[i - 1]! - 1e6 / 30)).toBeLessThanOrEqual(1);
    expect(pts[0]).toBe(Date.parse('2026-01-01T00:00:00Z') * 1000);
    await store.close();
  });

  it('gives identical results for any chunking of the same bytes', async () => {
    const whole = await ingest(exp.file, (d) => [d]);
    const expected = snapshot(whole);
    await whole.close();
    for (const seed of [1, 2]) {
      const chunked = await ingest(exp.file, randomChunks(seed));
      expect(snapshot(chunked)).toEqual(expected);
      await chunked.close();
    }
  });

  it('stores the same frames through write(), one access unit at a time', async () => {
    const viaStream = await ingest(exp.file, (d) => [d]);
    const bytes = [...viaStream.frames({ stream: 'cam' })].map((f) => Buffer.from(f.payload).toString('base64'));
    await viaStream.close();
    const store = await SegmentStore.create(`${tmp.dir}/w${counter++}.ring`, {
      capacity: '48MiB',
      segmentSize: '4MiB',
      streams: ['cam'],
    });
    const units = splitAccessUnits(fixture(exp.file));
    expect(units.length).toBe(exp.frames);
    units.forEach((u, i) => store.write('cam', u, { pts: 1_000_000 + i * 33_333 }));
    const again = [...store.frames({ stream: 'cam' })].map((f) => Buffer.from(f.payload).toString('base64'));
    expect(again).toEqual(bytes);
    expect(store.info().streams[0]!.keyframes).toBe(exp.idr + exp.recovery);
    await store.close();
  });
});
