// Frame iteration: store.frames() over a stored 10 s dual stream (road + cabin), reading each
// frame's metadata and touching its payload view. Baseline: what a JS user would do without
// the index, a start-code scan of the same Annex B bytes into access units
// (splitAccessUnits, as in test/helpers/tools.ts).
import { SegmentStore } from '../../dist/index.js';
import { CABIN, ROAD, fixture, fmt, measure, recordDual, row, splitAccessUnits } from '../lib/common.js';

export const title = 'frame iteration';

export async function run(ctx) {
  const store = await SegmentStore.create(`${ctx.dir}/frames.ring`, {
    capacity: '32MiB',
    segmentSize: '4MiB',
    streams: ['road', 'cabin'],
  });
  recordDual(store, 10);
  const road = fixture(ROAD),
    cabin = fixture(CABIN);
  let sink = 0;
  const iterate = () => {
    let n = 0;
    for (const stream of ['road', 'cabin']) {
      for (const f of store.frames({ stream })) {
        sink += f.pts + f.payload[4] + f.size;
        n++;
      }
    }
    return n;
  };
  const frames = iterate();
  if (frames !== 600) throw new Error(`frames: expected 600 frames, got ${frames}`);
  const viaIndex = await measure(ctx, 'store.frames() road+cabin', iterate);
  const scan = await measure(
    ctx,
    'JS start-code scan road+cabin',
    () => {
      sink += splitAccessUnits(road).length + splitAccessUnits(cabin).length;
    },
    { slow: true },
  );
  await store.close();
  return [
    row({
      name: 'frames(): iterate a stored 10 s dual stream (600 frames)',
      value: frames / viaIndex.mean,
      unit: 'frames/s',
      extra: `${fmt(viaIndex.mean * 1e3)} ms per pass`,
      baseline: 'JS start-code scan of the same Annex B bytes',
      baselineValue: frames / scan.mean,
      baselineUnit: 'frames/s',
      ratio: scan.mean / viaIndex.mean,
      tolerance: 4,
      toleranceWhy:
        'a pass takes ~0.1-0.2 ms and swings ~2x with load on a shared 2-core machine; the ratio is ~100-200, a real regression is 10x',
      sink,
    }),
  ];
}
