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
  formatVersion: 4,
  segmentBytes: 'd8e5f54e44ea933a78092722addb0bb16fd5174694699fc9b72cae9aa89caa18',
  mp4WriterVersion: 4,
  clipBytes: '0eacbe093e85b86037d849dac03c4f0f1fe53542a064815d7575ab935e73de07',
};

describe('format versions', () => {
  it('the store format and the MP4 output match their versions', async () => {
    const path = `${tmp.dir}/golden.ring`;
    const store = await SegmentStore.create(path, {
      capacity: '16MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin', { name: 'mic', kind: 'audio' }, { name: 'telemetry', kind: 'metadata' }],
    });
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      2,
    );
    // Audio and metadata records (their payloads are not decoded by the store: fixed bytes).
    const asc = Buffer.from([0x11, 0x88]); // AAC-LC, 48 kHz, mono
    for (let k = 0; k < 94; k++)
      store.writeAudio('mic', Buffer.alloc(40 + (k % 7), k), {
        pts: T0 + Math.round((k * 1024e6) / 48000),
        config: asc,
      });
    for (let k = 0; k < 200; k++)
      store.writeMetadata('telemetry', Buffer.alloc(16, k), { pts: T0 + k * 10_000 + 5_000, format: 'camm' });
    const clip = store.clip({ from: T0 + 0.5e6, to: T0 + 1.5e6, streams: ['road', 'cabin', 'mic', 'telemetry'] });
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
