// Store to store: SegmentStore.copyTo() of a full ring (road + cabin, recorded with
// write()) into a new store of the same capacity — what a phone budget change does —
// 256 MiB in --ci mode, 1 GiB in a full run. Records are copied as they are stored
// (checksummed on the way), no parsing or re-muxing.
// Baseline (same run): Buffer.copy of the same number of payload bytes, in 1 MiB chunks,
// from one ring-sized buffer into another (a copy floor that does not fit any cache).
// Also printed: the whole budget change (create the new store + copy + flush + close).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { MB, fmt, median, recordDual, row } from '../lib/common.js';

export const title = 'store to store';

export async function run(ctx) {
  const capacity = ctx.ci ? 256 * 2 ** 20 : 2 ** 30;
  const sourcePath = `${ctx.dir}/copy-source.ring`;
  const source = await SegmentStore.create(sourcePath, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
  recordDual(source, (capacity / 600e3) * 1.05);
  // What the machine wrote before (in CI: builds, fuzz corpora) is written back first, so the
  // copy's page population does not queue behind it.
  execFileSync('sync');
  const rounds = ctx.ci ? 3 : 5;
  const copyMs = [],
    changeMs = [];
  let result = null;
  for (let i = 0; i < rounds; i++) {
    const path = `${ctx.dir}/copy-dest-${i}.ring`;
    const started = performance.now();
    const dest = await SegmentStore.create(path, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
    const t = performance.now();
    result = source.copyTo(dest);
    copyMs.push(performance.now() - t);
    await dest.flush();
    await dest.close();
    changeMs.push(performance.now() - started);
    rmSync(path, { force: true });
  }
  await source.close();
  rmSync(sourcePath, { force: true });
  // Frames before a stream's first retained random access point (the ring wrapped mid-GOP)
  // cannot be decoded and are not stored: a handful, never more than a GOP per stream.
  if (!result || result.frames === 0 || result.notStored > 2 * 60) throw new Error(`copy: ${JSON.stringify(result)}`);

  // The floor: the same bytes through Buffer.copy, 1 MiB at a time, ring buffer to ring buffer.
  const ring = Math.min(capacity, 512 * 2 ** 20);
  const from = Buffer.alloc(ring, 1),
    into = Buffer.alloc(ring, 2);
  const floorMs = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    for (let done = 0, at = 0; done < result.bytes; done += 2 ** 20, at = (at + 2 ** 20) % ring)
      from.copy(into, at, at, at + Math.min(2 ** 20, result.bytes - done));
    floorMs.push(performance.now() - t);
  }
  const copy = median(copyMs),
    floor = median(floorMs),
    change = median(changeMs);
  const gib = capacity / 2 ** 30;
  return [
    row({
      name: `copyTo: a full ${capacity >> 20} MiB ring into a new store vs a copy floor`,
      value: result.bytes / (copy / 1000) / MB,
      unit: 'MB/s',
      extra: `${fmt(copy)} ms for ${fmt(result.frames)} frames (${result.notStored} before a first random access point not stored), ${fmt(result.bytes / 2 ** 20)} MiB; budget change (create + copy + flush + close) ${fmt(change)} ms`,
      baseline: 'Buffer.copy of the same bytes in 1 MiB chunks, ring buffer to ring buffer',
      baselineValue: result.bytes / (floor / 1000) / MB,
      baselineUnit: 'MB/s',
      ratio: floor / copy,
      target: {
        text: '≥ 0.5 of the copy floor; a 1 GiB budget change in ≤ 2 s',
        ok: floor / copy >= 0.5 && change <= 2000 * Math.max(1, gib),
      },
    }),
  ];
}
