// Ingest into cold storage: createWriteStream of the road + cabin fixtures (as in 1-ingest)
// into a ring whose pages are not in the page cache — a fresh file, and a full ring closed
// and dropped from the cache (posix_fadvise DONTNEED) — against the same ingest into the
// same ring once its pages are resident (warm). Both in the same run, same bytes.
// A dashcam writes into the cold case: its ring is larger than its RAM and it boots cold.
// Printed per row: page faults taken by the JS (recording) thread per MB written
// (/proc/self/task/<pid>/stat, minor + major) and the bytes read from storage while
// ingesting, as a share of the bytes written (/proc/self/io).
import { rmSync } from 'node:fs';
import { SegmentStore } from '../../dist/index.js';
import {
  CABIN,
  MB,
  ROAD,
  dropFromCache,
  fixture,
  fmt,
  jsThreadFaults,
  median,
  row,
  storageReadBytes,
} from '../lib/common.js';

export const title = 'ingest into cold storage';

const ROUNDS = 3;

export async function run(ctx) {
  const road = fixture(ROAD),
    cabin = fixture(CABIN);
  const cycleBytes = road.length + cabin.length;
  const capacity = (ctx.ci ? 256 : 512) * 2 ** 20;
  // Each measured ingest writes a third of the ring: every page it touches was cold.
  const cycles = Math.floor(capacity / 3 / cycleBytes);
  const bytes = cycles * cycleBytes;
  let clock = Date.parse('2026-01-01T00:00:00Z') * 1000;

  const end = (w, data) =>
    new Promise((resolve, reject) => {
      w.on('error', reject);
      w.on('finish', resolve);
      w.end(data);
    });
  async function ingest(store, n) {
    for (let c = 0; c < n; c++) {
      await Promise.all([
        end(store.createWriteStream('road', { fps: 30, start: clock }), road),
        end(store.createWriteStream('cabin', { fps: 30, start: clock }), cabin),
      ]);
      clock += 10e6;
    }
  }
  async function measured(store) {
    const read = storageReadBytes(),
      faults = jsThreadFaults(),
      t = performance.now();
    await ingest(store, cycles);
    const s = (performance.now() - t) / 1000;
    const r = {
      mbps: bytes / s / MB,
      faultsPerMB: (jsThreadFaults() - faults) / (bytes / MB),
      readShare: (storageReadBytes() - read) / bytes,
    };
    const lost = store.info().streams.reduce((n, st) => n + st.droppedFrames + st.rejectedUnits, 0);
    if (lost) throw new Error(`cold ingest: ${lost} frames dropped or rejected`);
    return r;
  }
  const summary = (runs) => ({
    mbps: median(runs.map((r) => r.mbps)),
    faultsPerMB: median(runs.map((r) => r.faultsPerMB)),
    readShare: Math.max(...runs.map((r) => r.readShare)),
  });

  // A full ring, then warm rounds (pages resident: it was just written) and dropped rounds.
  const ringPath = `${ctx.dir}/cold-ingest.ring`;
  const ring = await SegmentStore.create(ringPath, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
  await ingest(ring, Math.ceil((capacity * 1.1) / cycleBytes));
  await ring.close();
  const warmRuns = [],
    droppedRuns = [],
    freshRuns = [];
  let stats = null;
  for (let i = 0; i < ROUNDS; i++) {
    const warm = await SegmentStore.open(ringPath);
    await ingest(warm, 2); // the segments it reopens into are the ones it wrote last
    warmRuns.push(await measured(warm));
    await warm.close();
    dropFromCache(ringPath);
    const dropped = await SegmentStore.open(ringPath);
    droppedRuns.push(await measured(dropped));
    stats = dropped.prepareStats;
    await dropped.close();
    const freshPath = `${ctx.dir}/cold-fresh-${i}.ring`;
    const fresh = await SegmentStore.create(freshPath, { capacity, segmentSize: '8MiB', streams: ['road', 'cabin'] });
    freshRuns.push(await measured(fresh));
    await fresh.close();
    rmSync(freshPath, { force: true });
  }
  rmSync(ringPath, { force: true });
  const warm = summary(warmRuns),
    dropped = summary(droppedRuns),
    fresh = summary(freshRuns);
  const mkRow = (what, r) =>
    row({
      name: `ingest (cold): createWriteStream into ${what} vs the same ring warm`,
      value: r.mbps,
      unit: 'MB/s',
      extra: `${fmt(r.faultsPerMB)} faults/MB on the recording thread (warm ${fmt(warm.faultsPerMB)}); storage reads ${fmt(r.readShare * 100)} % of the bytes written; ${fmt(bytes / 2 ** 20)} MiB per round`,
      baseline: `the same ingest into the ${capacity >> 20} MiB ring with its pages resident`,
      baselineValue: warm.mbps,
      baselineUnit: 'MB/s',
      ratio: r.mbps / warm.mbps,
      target: {
        text: '≥ 0.5 of warm, reads ≤ 1 % of bytes written',
        ok: r.mbps / warm.mbps >= 0.5 && r.readShare <= 0.01,
      },
    });
  if (ctx.verbose) console.error(`    preparer (dropped ring, last round): ${JSON.stringify(stats)}`);
  return [mkRow('a fresh file (never written)', fresh), mkRow('a full ring whose pages were dropped', dropped)];
}
