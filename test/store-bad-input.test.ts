import { randomBytes } from 'node:crypto';
import {
  readFileSync,
  truncateSync,
  appendFileSync,
  writeFileSync,
  chmodSync,
  mkdirSync,
  openSync,
  writeSync,
  closeSync,
  linkSync,
} from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidDataError, Mp4Source, SegmentStore, StoreFormatError } from '../lib/index.js';
import { crc32c } from './helpers/crc32c.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, fixture, splitAccessUnits, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const fresh = (opts: Partial<Parameters<typeof SegmentStore.create>[1]> = {}) =>
  SegmentStore.create(`${tmp.dir}/b${n++}.ring`, { capacity: '8MiB', segmentSize: '1MiB', streams: ['road'], ...opts });

function snapshot(store: SegmentStore) {
  return [...store.frames({ stream: 'road' })].map((f) => [f.pts, Buffer.from(f.payload).toString('base64')]);
}

describe('bad input never loses data', () => {
  it('random bytes: a clear error, and everything stored before is intact', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2);
    const before = snapshot(store);
    expect(() => store.write('road', randomBytes(5000).fill(0xff, 0, 4), { pts: T0 + 10e6 })).toThrow(InvalidDataError);
    let refused = 0;
    for (let i = 0; i < 50; i++) {
      const garbage = Buffer.concat([Buffer.from([0, 0, 0, 1]), randomBytes(1 + ((i * 97) % 3000))]);
      try {
        store.write('road', garbage, { pts: T0 + 10e6 + i });
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidDataError);
        refused++;
      }
    }
    // Random bytes can look like a syntactically valid slice header (only decoding the
    // slice data could tell); most are refused, and nothing stored before is touched.
    expect(refused).toBeGreaterThan(25);
    expect(snapshot(store).slice(0, before.length)).toEqual(before);
    expect(store.verify().ok).toBe(true);
    // Random bytes through a write stream: counted as rejected or dropped, never stored.
    const w = store.createWriteStream('road', { fps: 30, start: T0 + 20e6 });
    await pipeline(Readable.from([randomBytes(200_000)]), w);
    expect(snapshot(store).slice(0, before.length)).toEqual(before);
    await store.close();
  });

  it('a stream starting mid-GOP: frames before the first random access point are dropped and counted', async () => {
    const store = await fresh();
    const units = splitAccessUnits(fixture(FIXTURES.road));
    // Start at frame 10 of a GOP of 30: 20 frames cannot be decoded.
    units.slice(10, 70).forEach((u, i) => store.write('road', u, { pts: T0 + i * 33_333 }));
    const s = store.info().streams[0]!;
    expect(s.droppedFrames).toBe(20);
    expect(s.frames).toBe(40);
    expect([...store.frames({ stream: 'road' })][0]!.randomAccess).toBe('idr');
    await store.close();
  });

  it('truncated access units are rejected with a clear error', async () => {
    const store = await fresh();
    const units = splitAccessUnits(fixture(FIXTURES.road));
    store.write('road', units[0]!, { pts: T0 });
    expect(() => store.write('road', units[1]!.subarray(0, 6), { pts: T0 + 33_333 })).toThrow(InvalidDataError);
    store.write('road', units[1]!, { pts: T0 + 33_333 });
    expect(store.info().streams[0]!.frames).toBe(2);
    await store.close();
  });

  it('timestamps going backwards are refused, and the store stays intact', async () => {
    const store = await fresh();
    const units = splitAccessUnits(fixture(FIXTURES.road));
    store.write('road', units[0]!, { pts: T0 + 1e6 });
    expect(() => store.write('road', units[1]!, { pts: T0 })).toThrow(/go backwards/);
    expect(() => store.write('road', units[1]!, { pts: T0 + 1e6 })).toThrow(InvalidArgumentError);
    store.write('road', units[1]!, { pts: T0 + 1e6 + 33_333 });
    expect(store.info().streams[0]!.frames).toBe(2);
    await store.close();
  });

  it('an access unit larger than a segment is refused with the size it needs', async () => {
    const store = await fresh();
    const units = splitAccessUnits(fixture(FIXTURES.road));
    store.write('road', units[0]!, { pts: T0 });
    // A valid IDR padded with a huge filler NAL unit (type 12) passes parsing but not the segment.
    const big = Buffer.concat([units[0]!, Buffer.from([0, 0, 1, 12]), Buffer.alloc(1_100_000, 0xff)]);
    expect(() => store.write('road', big, { pts: T0 + 33_333 })).toThrow(/does not fit a segment.*larger segmentSize/);
    expect(store.info().streams[0]!.frames).toBe(1);
    expect(store.info().droppedFrames).toBe(1);
    await store.close();
  });

  it('unknown streams and bad options are usage errors naming what is allowed', async () => {
    const store = await fresh();
    expect(() => store.write('rear', Buffer.alloc(4), { pts: 1 })).toThrow(
      /unknown stream "rear": this store records 'road'/,
    );
    expect(() => store.write('road', 'text' as unknown as Buffer, { pts: 1 })).toThrow(/Buffer or Uint8Array/);
    await expect(SegmentStore.create(`${tmp.dir}/x.ring`, { capacity: '1MiB', streams: ['a'] })).rejects.toThrow(
      /too small/,
    );
    await expect(
      SegmentStore.create(`${tmp.dir}/x.ring`, { capacity: '64MiB', segmentSize: '100MiB', streams: ['a'] }),
    ).rejects.toThrow(/1 MiB to 64 MiB/);
    await expect(SegmentStore.create(`${tmp.dir}/x.ring`, { capacity: '64MiB', streams: ['a', 'a'] })).rejects.toThrow(
      /listed twice/,
    );
    await expect(
      SegmentStore.create(`${tmp.dir}/x.ring`, { capacity: '64MiB', streams: ['bad name'] }),
    ).rejects.toThrow(/not allowed/);
    await store.close();
    await expect(SegmentStore.create(store.path, { capacity: '32MiB', streams: ['a'] })).rejects.toThrow(
      /already exists/,
    );
  });
});

describe('hostile files', () => {
  it('a missing file, a non-store, an all-zero header, another version: each a clear error', async () => {
    await expect(SegmentStore.open(`${tmp.dir}/none.ring`)).rejects.toThrow(/does not exist/);
    const junk = `${tmp.dir}/junk.bin`;
    writeFileSync(junk, randomBytes(1 << 20));
    await expect(SegmentStore.open(junk)).rejects.toBeInstanceOf(StoreFormatError);
    const zeros = `${tmp.dir}/zeros.bin`;
    writeFileSync(zeros, Buffer.alloc(4 << 20));
    await expect(SegmentStore.open(zeros)).rejects.toThrow(/header is all zeros/);
    const store = await fresh();
    await store.close();
    const other = `${tmp.dir}/other.ring`;
    const bytes = readFileSync(store.path);
    bytes.writeUInt32LE(99, 8);
    bytes.writeUInt32LE(99, 4096 + 8);
    writeFileSync(other, bytes);
    await expect(SegmentStore.open(other)).rejects.toThrow(
      /format version 99; this ringclip reads versions 2 to 4 \(a newer ringclip wrote it: upgrade\)/,
    );
    // A store written by the previous format (version 1: no record header CRC, no durable
    // watermark) is refused with both versions named, never misread.
    bytes.writeUInt32LE(1, 8);
    bytes.writeUInt32LE(1, 4096 + 8);
    writeFileSync(other, bytes);
    await expect(SegmentStore.open(other)).rejects.toThrow(
      /format version 1; this ringclip reads versions 2 to 4 \(version 1 stores cannot be converted: record anew\)/,
    );
    // A stream kind this version does not know (a slot whose CRC is whole): refused as
    // damaged, not read as some kind it is not.
    const kinds = readFileSync(store.path);
    for (const slot of [0, 4096]) {
      kinds.writeUInt8(9, slot + 4048);
      kinds.writeUInt32LE(crc32c(kinds.subarray(slot + 16, slot + 4096)), slot + 12);
    }
    writeFileSync(other, kinds);
    await expect(SegmentStore.open(other)).rejects.toThrow(/damaged header: both copies fail their checks/);
  });

  it('a store truncated or extended by someone else is refused, untouched', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2);
    await store.close();
    const original = readFileSync(store.path);
    truncateSync(store.path, original.length - 4096);
    await expect(SegmentStore.open(store.path)).rejects.toThrow(/truncated or extended/);
    writeFileSync(store.path, original);
    appendFileSync(store.path, Buffer.alloc(4096));
    await expect(SegmentStore.open(store.path)).rejects.toThrow(/truncated or extended/);
    expect(readFileSync(store.path).subarray(0, original.length).equals(original)).toBe(true);
  });

  it('a torn header write: the other copy is used', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2);
    await store.close();
    // Tear the newest header slot (whichever it is) by zeroing half of each slot in turn.
    for (const slot of [0, 4096]) {
      const copy = `${tmp.dir}/torn${slot}.ring`;
      const bytes = readFileSync(store.path);
      bytes.fill(0xaa, slot + 1000, slot + 3000); // a write torn half-way: garbage where the slot was
      writeFileSync(copy, bytes);
      const again = await SegmentStore.open(copy, { readOnly: true });
      expect(again.info().streams[0]!.frames).toBe(60);
      expect(again.recovery.usedBackupHeader).toBe(true);
      await again.close();
    }
  });

  it('bit flips inside records: recovery keeps every undamaged record and reports the damaged ones', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 4);
    const all = [...store.frames({ stream: 'road' })].map((f) => f.pts);
    await store.close();
    const fd = openSync(store.path, 'r+');
    // Flip a byte in the middle of the first segment's data.
    writeSync(fd, Buffer.from([0x5a]), 0, 1, 65536 + 300_000);
    closeSync(fd);
    // A default open checks payloads only where they may not be durable: this one was
    // (closed cleanly), so the flip is found by verify(), not by open.
    const lazy = await SegmentStore.open(store.path, { readOnly: true });
    const lv = lazy.verify();
    expect(lv.ok).toBe(false);
    expect(lv.badRecords).toBeGreaterThanOrEqual(1);
    await lazy.close();
    const again = await SegmentStore.open(store.path, { verify: 'full' });
    expect(again.recovery.damagedRecords).toBeGreaterThanOrEqual(1);
    const kept = [...again.frames({ stream: 'road' })].map((f) => f.pts);
    expect(kept.length).toBeGreaterThanOrEqual(all.length - 1);
    expect(kept.every((p) => all.includes(p))).toBe(true);
    const v = again.verify();
    expect(v.ok).toBe(false);
    expect(v.problems.join('\n')).toMatch(/damaged records were skipped/);
    await again.close();
  });

  it('a read-only directory: a clear error, nothing created', async () => {
    const dir = `${tmp.dir}/ro`;
    mkdirSync(dir);
    chmodSync(dir, 0o555);
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; check an unwritable location instead
      await expect(SegmentStore.create('/proc/ringclip.ring', { capacity: '32MiB', streams: ['a'] })).rejects.toThrow(
        /cannot create store/,
      );
    } else {
      await expect(SegmentStore.create(`${dir}/x.ring`, { capacity: '32MiB', streams: ['a'] })).rejects.toThrow(
        /permissions/,
      );
    }
  });
});

describe('an export never overwrites the file it reads from', () => {
  it('refuses the store file by its path, a hard link or a descriptor, and the store stays intact', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 3);
    const before = snapshot(store);
    const image = readFileSync(store.path);
    const link = `${tmp.dir}/link-to-store.ring`;
    linkSync(store.path, link);
    const clip = store.clip({ from: T0, to: T0 + 2e6 });
    await expect(clip.writeMP4(store.path)).rejects.toThrow(InvalidArgumentError);
    await expect(clip.writeMP4(link)).rejects.toThrow(/reads from/);
    const fd = openSync(store.path, 'r+');
    try {
      await expect(clip.writeMP4(fd)).rejects.toThrow(InvalidArgumentError);
    } finally {
      closeSync(fd);
    }
    // ...while any other path works.
    await clip.writeMP4(`${tmp.dir}/ok.mp4`);
    clip.release();
    expect(readFileSync(store.path).equals(image)).toBe(true);
    expect(snapshot(store)).toEqual(before);
    expect(store.verify().ok).toBe(true);
    await store.close();
  });

  it('refuses the source MP4 of an Mp4Source clip, which stays byte for byte', async () => {
    const store = await fresh();
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 3);
    const path = `${tmp.dir}/source.mp4`;
    const whole = store.clip({ from: T0, to: T0 + 3e6 });
    await whole.writeMP4(path);
    whole.release();
    await store.close();
    const bytes = readFileSync(path);
    const source = await Mp4Source.open(path);
    const cut = source.clip({ from: source.start, to: source.start + 1e6 });
    await expect(cut.writeMP4(path)).rejects.toThrow(InvalidArgumentError);
    cut.release();
    source.close();
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });
});
