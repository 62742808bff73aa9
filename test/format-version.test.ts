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
  formatVersion: 3,
  segmentBytes: 'eb492d8c877f12fb13f695f781dfb2e35de9ea3ae37f7dc6734c25be708ab454',
  mp4WriterVersion: 2,
  clipBytes: '55774077491f7261b65e1e1ac4cea873e5092abc7bf1174e88562ad9f34ef94f',
};

describe('format versions', () => {
  it('the store format and the MP4 output match their versions', async () => {
    const path = `${tmp.dir}/golden.ring`;
    const store = await SegmentStore.create(path, { capacity: '16MiB', segmentSize: '4MiB', streams: ['road', 'cabin'] });
    recordInterleaved(store, [{ stream: 'road', file: FIXTURES.road, fps: 30 }, { stream: 'cabin', file: FIXTURES.cabin, fps: 30 }], 2);
    const clip = store.clip({ from: T0 + 0.5e6, to: T0 + 1.5e6 });
    const mp4 = clip.toVirtualMP4().read(0);
    clip.release();
    await store.close();
    // The whole data area: segment headers, records, and the index block at each sealed
    // segment's end (the header slots hold the wall clock of the create).
    const segment = readFileSync(path).subarray(65536);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect({
      formatVersion,
      segmentBytes: sha(segment),
      mp4WriterVersion,
      clipBytes: sha(mp4),
    }).toEqual(GOLDEN);
  });
});
