// Store open / recovery: SegmentStore.open() (writable, as a dashcam does at boot) + close()
// of a full ring store that was closed cleanly: 256 MiB in --ci mode, 1 GiB in a full run.
// Open reads each segment's first page and its index block (format 3), not the records.
// Warm: the file was just written, so it is in the page cache. Cold: its pages are dropped
// (posix_fadvise DONTNEED) before every open, as on a device that just booted; the bytes
// read from storage (/proc/self/io) are printed beside the time.
// Baselines (naive JS, same file, same run): read every segment with fs.readSync and walk
// every record header into a JS index array —
//  (a) also checking each record's CRC32C with a byte-at-a-time table (what version 1 did);
//  (b) headers only, no CRC; cold: the same after the pages were dropped.
// A full run also fills a 4 GiB ring and prints the bytes read per GiB by a cold open of it
// against the 1 GiB ring's: what open reads must not grow with the capacity.
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { dropFromCache, fmt, measure, median, recordDual, row, storageReadBytes } from '../lib/common.js';

export const title = 'store open / recovery';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

function crc32c(buf, start, end) {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const DATA_OFFSET = 65536,
  SEGMENT_MAGIC = 0x47534352,
  RECORD_MAGIC = 0x52524352,
  RECORD_HEADER = 64; // format versions 2 and 3

/** Naive JS recovery: returns the index it built (one object per access unit record). */
function jsOpen(path, segmentSize, segments, checkCrc) {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(segmentSize);
  const index = [];
  let bad = 0;
  try {
    for (let s = 0; s < segments; s++) {
      readSync(fd, buf, 0, segmentSize, DATA_OFFSET + s * segmentSize);
      if (buf.readUInt32LE(0) !== SEGMENT_MAGIC) continue;
      let off = 64;
      while (off + RECORD_HEADER <= segmentSize && buf.readUInt32LE(off) === RECORD_MAGIC) {
        const size = buf.readUInt32LE(off + 40);
        if (off + RECORD_HEADER + size > segmentSize) break;
        if (checkCrc && crc32c(buf, off + 8, off + RECORD_HEADER + size) !== buf.readUInt32LE(off + 4)) bad++;
        if (buf[off + 53] === 0) {
          index.push({
            segment: s,
            offset: off,
            seq: Number(buf.readBigUInt64LE(off + 8)),
            dts: Number(buf.readBigInt64LE(off + 16)),
            pts: Number(buf.readBigInt64LE(off + 24)),
            size,
            stream: buf[off + 52],
            randomAccess: buf[off + 54],
          });
        }
        off += (RECORD_HEADER + size + 7) & ~7;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (bad) throw new Error(`open: the JS walk found ${bad} records with a bad CRC`);
  return index;
}

/** A full ring of `capacity` bytes, closed cleanly: its info() before the close. */
async function fullRing(path, capacity) {
  const store = await SegmentStore.create(path, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
  // Road + cabin average ~0.6 MB/s: record until the ring has wrapped once.
  recordDual(store, (capacity / 600e3) * 1.1);
  const info = store.info();
  if (info.overwrittenFrames === 0) throw new Error('open: the ring did not fill');
  await store.close();
  return info;
}

/** Cold opens (pages dropped before each): median ms and bytes read per open. */
async function coldOpens(path, times, options = {}) {
  const ms = [],
    bytes = [];
  for (let i = 0; i < times; i++) {
    dropFromCache(path);
    const read = storageReadBytes();
    const t = performance.now();
    const s = await SegmentStore.open(path, options);
    await s.close();
    ms.push(performance.now() - t);
    bytes.push(storageReadBytes() - read);
  }
  return { ms: median(ms), bytes: median(bytes) };
}

export async function run(ctx) {
  const capacity = ctx.ci ? 256 * 2 ** 20 : 2 ** 30;
  const path = `${ctx.dir}/open.ring`;
  const info = await fullRing(path, capacity);
  const frames = info.streams.reduce((n, s) => n + s.frames, 0);

  const check = await SegmentStore.open(path);
  const kept = check.recovery.recordsKept;
  await check.close();
  const jsIndex = jsOpen(path, info.segmentSize, info.segments, true);
  if (jsIndex.length !== frames)
    throw new Error(`open: the JS walk found ${jsIndex.length} frames, the store has ${frames}`);

  const slowOpts = { async: true, slow: true };
  const ours = await measure(
    ctx,
    `SegmentStore.open+close ${capacity >> 20} MiB`,
    async () => {
      const s = await SegmentStore.open(path);
      await s.close();
    },
    slowOpts,
  );
  // Seconds per call: a few samples are plenty for a baseline 10-20× slower than the engine.
  const jsCrc = await measure(
    ctx,
    'JS read + walk + CRC32C',
    () => {
      jsOpen(path, info.segmentSize, info.segments, true);
    },
    { slow: true, warmup: 1, override: { minSamples: 3, maxTime: ctx.ci ? 0.5 : 2 } },
  );
  const jsWalk = await measure(
    ctx,
    'JS read + walk (no CRC)',
    () => {
      jsOpen(path, info.segmentSize, info.segments, false);
    },
    { slow: true },
  );

  const gib = capacity / 2 ** 30;
  const ms = ours.mean * 1e3;
  const common = {
    value: ms,
    unit: 'ms',
    extra: `${fmt(ms / gib)} ms/GiB, ${fmt(frames)} frames, ${kept} records`,
  };
  // Targets for a 1 GiB ring; a smaller one (--ci) must meet them too (open has fixed
  // costs: the header writes of a writable open and of its close are synced).
  const target = { text: 'warm: a 1 GiB ring opens in ≤ 10 ms', ok: ms <= 10 * Math.max(1, gib) };

  // Cold: the same file, its pages dropped before each open.
  const times = ctx.ci ? 5 : 9;
  const cold = await coldOpens(path, times);
  const coldRO = await coldOpens(path, times, { readOnly: true });
  const jsCold = [];
  for (let i = 0; i < (ctx.ci ? 2 : 3); i++) {
    dropFromCache(path);
    const t = performance.now();
    jsOpen(path, info.segmentSize, info.segments, false);
    jsCold.push(performance.now() - t);
  }
  const readShare = cold.bytes / capacity;
  const coldRows = [
    row({
      name: `open (cold): SegmentStore.open + close of a full ${capacity >> 20} MiB store, pages dropped, vs JS header walk (cold)`,
      value: cold.ms,
      unit: 'ms',
      extra: `${fmt(cold.ms / gib)} ms/GiB; read ${fmt(cold.bytes / 2 ** 20)} MiB from storage = ${fmt(readShare * 100)} % of the capacity; read-only open ${fmt(coldRO.ms)} ms, ${fmt(coldRO.bytes / 2 ** 20)} MiB`,
      baseline: 'JS readSync every segment, walk record headers (no CRC), pages dropped',
      baselineValue: median(jsCold),
      baselineUnit: 'ms',
      ratio: median(jsCold) / cold.ms,
      target: {
        text: 'cold: reads ≤ 1 % of the capacity, a 1 GiB ring in ≤ 50 ms',
        ok: readShare <= 0.01 && coldRO.bytes / capacity <= 0.01 && cold.ms <= 50 * Math.max(1, gib),
      },
    }),
  ];
  if (!ctx.ci) {
    // What open reads per GiB must not grow with the capacity: a 4 GiB ring against this one.
    rmSync(path, { force: true });
    const big = `${ctx.dir}/open-4g.ring`;
    await fullRing(big, 4 * 2 ** 30);
    const cold4 = await coldOpens(big, 3);
    rmSync(big, { force: true });
    const perGiB = cold.bytes / gib,
      perGiB4 = cold4.bytes / 4;
    coldRows.push(
      row({
        name: 'open (cold): bytes read per GiB, full 4 GiB ring vs full 1 GiB ring',
        value: perGiB4 / 2 ** 20,
        unit: 'MiB/GiB',
        extra: `4 GiB opens cold in ${fmt(cold4.ms)} ms, reading ${fmt(cold4.bytes / 2 ** 20)} MiB`,
        baseline: '1 GiB ring',
        baselineValue: perGiB / 2 ** 20,
        baselineUnit: 'MiB/GiB',
        better: 'lower',
        ratio: perGiB4 / perGiB,
        target: { text: 'does not grow with capacity (ratio ≤ 1.25)', ok: perGiB4 / perGiB <= 1.25 },
      }),
    );
  }
  return [
    row({
      name: `open: SegmentStore.open + close of a full ${capacity >> 20} MiB store vs JS walk with CRC`,
      ...common,
      baseline: 'JS readSync every segment, walk records, CRC32C each',
      baselineValue: jsCrc.mean * 1e3,
      baselineUnit: 'ms',
      ratio: jsCrc.mean / ours.mean,
      target,
    }),
    row({
      name: `open: SegmentStore.open + close of a full ${capacity >> 20} MiB store vs JS header walk`,
      ...common,
      baseline: 'JS readSync every segment, walk record headers (no CRC)',
      baselineValue: jsWalk.mean * 1e3,
      baselineUnit: 'ms',
      ratio: jsWalk.mean / ours.mean,
    }),
    ...coldRows,
  ];
}
