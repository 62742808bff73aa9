/**
 * Index blocks (docs/FORMAT.md, "Index block"): a sealed segment carries its own index at
 * its end, and open reads that instead of the records. What is checked here: a clean
 * close seals every segment and the next open reads no record; a block that fails its
 * CRC, or that disagrees with the segment header, is refused and the records are scanned;
 * a block that disagrees with the records (its CRC made whole again) is what verify()
 * and a `verify: 'full'` open catch; a format-2 file opens, and becomes format 3 at its
 * first writable open with every frame intact.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore } from '../lib/index.js';
import { crc32c } from './helpers/crc32c.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, fixturesDir, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const DATA_OFFSET = 65536;
const SEGMENT = 1 << 20;
const FOOTER = 64;

async function recorded(name: string, seconds = 12): Promise<string> {
  const path = `${tmp.dir}/${name}.ring`;
  const store = await SegmentStore.create(path, {
    capacity: DATA_OFFSET + 8 * SEGMENT,
    segmentSize: SEGMENT,
    streams: ['road', 'cabin'],
  });
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    seconds,
  );
  await store.close();
  return path;
}

async function framesOf(path: string, options: { verify?: 'full' } = {}) {
  const store = await SegmentStore.open(path, { readOnly: true, ...options });
  const frames = ['road', 'cabin'].flatMap((stream) =>
    [...store.frames({ stream })].map(
      (f) => `${stream} ${f.pts} ${f.dts} ${f.randomAccess} ${Buffer.from(f.payload).toString('base64')}`,
    ),
  );
  const recovery = store.recovery;
  const verify = store.verify();
  await store.close();
  return { frames, recovery, verify };
}

/** The footer of segment `i`, and where its block starts in the file. */
function footer(file: Buffer, i: number) {
  const end = DATA_OFFSET + (i + 1) * SEGMENT;
  const f = end - FOOTER;
  return {
    at: f,
    magic: file.readUInt32LE(f),
    crc: file.readUInt32LE(f + 4),
    records: file.readUInt32LE(f + 24),
    blockSize: file.readUInt32LE(f + 36),
    blockStart: f - file.readUInt32LE(f + 36),
  };
}

function recomputeFooterCrc(file: Buffer, i: number): number {
  const f = footer(file, i);
  return crc32c(file.subarray(f.at + 8, f.at + FOOTER), crc32c(file.subarray(f.blockStart, f.at)));
}

describe('index blocks', () => {
  it('a clean close seals every segment: the next open reads index blocks, no record', async () => {
    const path = await recorded('sealed');
    const file = readFileSync(path);
    const sealed = Array.from({ length: 8 }, (_, i) => footer(file, i)).filter((f) => f.magic === 0x58494352);
    expect(sealed.length).toBeGreaterThan(3);
    for (let i = 0; i < 8; i++)
      if (footer(file, i).magic === 0x58494352) expect(recomputeFooterCrc(file, i)).toBe(footer(file, i).crc);
    const read = await framesOf(path);
    expect(read.recovery.segmentsScanned).toBe(0);
    expect(read.recovery.segmentsFromIndex).toBe(sealed.length);
    expect(read.verify.ok).toBe(true);
    // The same frames as an open that reads every record and checks every payload.
    const full = await framesOf(path, { verify: 'full' });
    expect(full.recovery.segmentsFromIndex).toBe(0);
    expect(read.frames).toEqual(full.frames);
    expect(read.frames.length).toBe(2 * 12 * 30);
  });

  it('a torn block is refused: the segment is scanned, every frame kept, and a writable open seals it again', async () => {
    const path = await recorded('torn');
    const reference = (await framesOf(path)).frames;
    const file = readFileSync(path);
    const f = footer(file, 1);
    file.fill(0, f.blockStart, f.blockStart + 512); // a page of the block never reached the disk
    writeFileSync(path, file);
    const read = await framesOf(path);
    expect(read.recovery.indexBlocksRefused).toBe(0); // fails its CRC: no whole block at all
    expect(read.recovery.segmentsScanned).toBe(1);
    expect(read.frames).toEqual(reference);
    const writer = await SegmentStore.open(path);
    await writer.close();
    const after = await framesOf(path);
    expect(after.recovery.segmentsScanned).toBe(0);
    expect(after.frames).toEqual(reference);
  });

  it('a whole block that disagrees with its segment header is refused and counted', async () => {
    const path = await recorded('other-drive');
    const reference = (await framesOf(path)).frames;
    const file = readFileSync(path);
    const f = footer(file, 2);
    file.writeUInt32LE(file.readUInt32LE(f.at + 44) + 1, f.at + 44); // another drive than the segment header's
    file.writeUInt32LE(recomputeFooterCrc(file, 2), f.at + 4);
    writeFileSync(path, file);
    const read = await framesOf(path);
    expect(read.recovery.indexBlocksRefused).toBe(1);
    expect(read.recovery.segmentsScanned).toBe(1);
    expect(read.frames).toEqual(reference);
  });

  it('a block that disagrees with its records is found by verify(), and a full open indexes the records', async () => {
    const path = await recorded('disagree');
    const reference = (await framesOf(path)).frames;
    const file = readFileSync(path);
    const f = footer(file, 3);
    // Entry 5's pts moves by 1 µs, and the CRC is made whole again: only the records can tell.
    const entry = f.blockStart + 5 * 32;
    file.writeBigInt64LE(file.readBigInt64LE(entry + 8) + 1n, entry + 8);
    file.writeUInt32LE(recomputeFooterCrc(file, 3), f.at + 4);
    writeFileSync(path, file);
    const trusting = await framesOf(path);
    expect(trusting.recovery.segmentsScanned).toBe(0);
    expect(trusting.verify.ok).toBe(false);
    expect(trusting.verify.problems.join('\n')).toMatch(/segment 3: its index block disagrees with record \d+/);
    const full = await framesOf(path, { verify: 'full' });
    expect(full.frames).toEqual(reference);
    expect(full.verify.ok).toBe(true);
  });

  it('a format-2 store opens read-only as it is, and a writable open makes it format 4 with every frame intact', async () => {
    // 54 road frames written by ringclip 0.1 (format 2: no index blocks), kept gzipped.
    const path = `${tmp.dir}/v2.ring`;
    writeFileSync(path, gunzipSync(readFileSync(`${fixturesDir}format-v2.ring.gz`)));
    expect(readFileSync(path).readUInt32LE(8)).toBe(2);
    const before = await framesOf(path);
    expect(before.frames.length).toBe(54);
    expect(before.recovery.segmentsScanned).toBe(1);
    expect(before.verify.ok).toBe(true);
    expect(readFileSync(path).readUInt32LE(8)).toBe(2); // a read-only open changes nothing
    copyFileSync(path, `${path}.copy`);
    const writer = await SegmentStore.open(path);
    recordInterleaved(writer, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2, T0 + 60e6);
    await writer.close();
    const file = readFileSync(path);
    expect(file.readUInt32LE(8) === 4 || file.readUInt32LE(4096 + 8) === 4).toBe(true);
    const after = await framesOf(path);
    expect(after.recovery.segmentsScanned).toBe(0);
    expect(after.frames.slice(0, 54)).toEqual(before.frames);
    expect(after.frames.length).toBe(54 + 60);
  });

  it('a format-3 store (ringclip before stream kinds) opens from its index blocks as video streams, and a writable open makes it format 4', async () => {
    // 6 road and 45 cabin frames written by ringclip at format 3 (git 57e2642), gzipped.
    const path = `${tmp.dir}/v3.ring`;
    writeFileSync(path, gunzipSync(readFileSync(`${fixturesDir}format-v3.ring.gz`)));
    expect(readFileSync(path).readUInt32LE(8) === 3 || readFileSync(path).readUInt32LE(4096 + 8) === 3).toBe(true);
    const before = await framesOf(path);
    expect(before.frames.length).toBe(6 + 45);
    expect(before.recovery.segmentsScanned).toBe(0); // its index blocks are read as they are
    expect(before.recovery.segmentsFromIndex).toBeGreaterThan(0);
    expect(before.verify.ok).toBe(true);
    const reader = await SegmentStore.open(path, { readOnly: true });
    expect(reader.streamKinds).toEqual({ road: 'video', cabin: 'video' });
    await reader.close();
    const writer = await SegmentStore.open(path);
    recordInterleaved(writer, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 1, T0 + 60e6);
    await writer.close();
    const file = readFileSync(path);
    expect(file.readUInt32LE(8) === 4 || file.readUInt32LE(4096 + 8) === 4).toBe(true);
    const after = await framesOf(path);
    expect(after.frames).toEqual(expect.arrayContaining(before.frames));
    expect(after.frames.length).toBe(51 + 30);
    expect(after.verify.ok).toBe(true);
  });
});
