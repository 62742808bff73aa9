/**
 * Golden bytes: a store written from fixed input, and a clip of it, must produce exactly
 * these bytes. If a change makes either test fail, the on-disk format (docs/FORMAT.md) or
 * the MP4 output (docs/MP4.md, ETags) changed: bump kFormatVersion (native/core/store/
 * format.h) or kWriterVersion (native/core/mp4/writer.h), then update the golden hashes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore, formatVersion, mp4WriterVersion } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const GOLDEN = {
  formatVersion: 2,
  segmentBytes: 'a34ef7d996c465a1fe09210b077c9a67bbbac1e97b1fd2863f27c6c4e9804d9d',
  mp4WriterVersion: 1,
  clipBytes: '86a9c8e07342d6c0af82bd3e2cca99faa08581d60abeeefce1398f5fac1b38d8',
};

describe('format versions', () => {
  it('the store format and the MP4 output match their versions', async () => {
    const path = `${tmp.dir}/golden.ring`;
    const store = await SegmentStore.create(path, { capacity: '16MiB', segmentSize: '4MiB', streams: ['road', 'cabin'] });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }, { stream: 'cabin', file: FIXTURES.cabin, fps: 30 }], 2);
    const used = store.info().used;
    const clip = store.clip({ from: T0 + 0.5e6, to: T0 + 1.5e6 });
    const mp4 = clip.toVirtualMP4().read(0);
    clip.release();
    await store.close();
    const segment = readFileSync(path).subarray(65536, 65536 + used);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect({
      formatVersion,
      segmentBytes: sha(segment),
      mp4WriterVersion,
      clipBytes: sha(mp4),
    }).toEqual(GOLDEN);
  });
});
