// Store open / recovery: SegmentStore.open() (writable, as a dashcam does at boot) + close()
// of a full ring store: 256 MiB in --ci mode, 1 GiB in a full run. Open rebuilds the index
// from the segment and record headers and checks every record's CRC32C (payload included).
// The file was just written, so it is in the page cache: this is warm-cache open time.
// Baselines (naive JS, same file, same run): read every segment with fs.readSync and walk
// every record header into a JS index array —
//  (a) also checking each record's CRC32C with a byte-at-a-time table, i.e. the same work;
//  (b) headers only, no CRC (less work than the engine does).
import { closeSync, openSync, readSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import { fmt, measure, recordDual, row } from '../lib/common.js';

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

const DATA_OFFSET = 65536, SEGMENT_MAGIC = 0x47534352, RECORD_MAGIC = 0x52524352, RECORD_HEADER = 64; // format version 2

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
          index.push({ segment: s, offset: off, seq: Number(buf.readBigUInt64LE(off + 8)), dts: Number(buf.readBigInt64LE(off + 16)),
            pts: Number(buf.readBigInt64LE(off + 24)), size, stream: buf[off + 52], randomAccess: buf[off + 54] });
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

export async function run(ctx) {
  const capacity = ctx.ci ? 256 * 2 ** 20 : 2 ** 30;
  const path = `${ctx.dir}/open.ring`;
  const store = await SegmentStore.create(path, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
  // Road + cabin average ~0.6 MB/s: record until the ring has wrapped once.
  recordDual(store, (capacity / 600e3) * 1.1);
  const info = store.info();
  if (info.overwrittenFrames === 0) throw new Error('open: the ring did not fill');
  const frames = info.streams.reduce((n, s) => n + s.frames, 0);
  await store.close();

  const check = await SegmentStore.open(path);
  const kept = check.recovery.recordsKept;
  await check.close();
  const jsIndex = jsOpen(path, info.segmentSize, info.segments, true);
  if (jsIndex.length !== frames) throw new Error(`open: the JS walk found ${jsIndex.length} frames, the store has ${frames}`);

  const slowOpts = { async: true, slow: true };
  const ours = await measure(ctx, `SegmentStore.open+close ${capacity >> 20} MiB`, async () => {
    const s = await SegmentStore.open(path);
    await s.close();
  }, slowOpts);
  // Seconds per call: a few samples are plenty for a baseline 10-20× slower than the engine.
  const jsCrc = await measure(ctx, 'JS read + walk + CRC32C', () => { jsOpen(path, info.segmentSize, info.segments, true); },
    { slow: true, warmup: 1, override: { minSamples: 3, maxTime: ctx.ci ? 0.5 : 2 } });
  const jsWalk = await measure(ctx, 'JS read + walk (no CRC)', () => { jsOpen(path, info.segmentSize, info.segments, false); }, { slow: true });

  const gib = capacity / 2 ** 30;
  const ms = ours.mean * 1e3;
  const common = {
    value: ms, unit: 'ms',
    extra: `${fmt(ms / gib)} ms/GiB, ${fmt(frames)} frames, ${kept} records`,
  };
  const target = { text: '1 GiB opens in ≤ 50 ms (≤ 50 ms/GiB)', ok: ms / gib <= 50 };
  return [
    row({
      name: `open: SegmentStore.open + close of a full ${capacity >> 20} MiB store vs JS walk with CRC`,
      ...common,
      baseline: 'JS readSync every segment, walk records, CRC32C each', baselineValue: jsCrc.mean * 1e3, baselineUnit: 'ms',
      ratio: jsCrc.mean / ours.mean,
      target,
    }),
    row({
      name: `open: SegmentStore.open + close of a full ${capacity >> 20} MiB store vs JS header walk`,
      ...common,
      baseline: 'JS readSync every segment, walk record headers (no CRC)', baselineValue: jsWalk.mean * 1e3, baselineUnit: 'ms',
      ratio: jsWalk.mean / ours.mean,
    }),
  ];
}
