#!/usr/bin/env node
// Failing reproduction (docs/RELIABILITY.md, "Known gaps"): after `await clip.writeMP4()`
// and `clip.release()`, the segments of the clip stay pinned until the virtual file that
// writeMP4() built internally is garbage-collected, so the writer cannot reclaim them and
// refuses frames with RingFullError. Exits 1 while the bug exists, 0 once it is fixed.
// Run: node test/reliability/repro-writemp4-pins.mjs   (needs dist/: npx tsc -p tsconfig.json)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitAccessUnits } from '../helpers/annexb.js';
const root = new URL('../../', import.meta.url).pathname;
const { SegmentStore } = await import(join(root, 'dist/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'ringclip-pins-'));
const bytes = readFileSync(join(root, 'test/fixtures/road_1080p30_high_gop30.h264'));
const units = splitAccessUnits(bytes);
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const store = await SegmentStore.create(join(dir, 'r.ring'), {
  capacity: 65536 + 3 * 1048576,
  segmentSize: '1MiB',
  streams: ['road'],
});
let i = 0;
const write = () => store.write('road', units[i % units.length], { pts: T0 + i++ * 33333 });
for (; i < 150;) write(); // ~2.5 MB: the 3 segments are live
for (let k = 0; k < 2; k++) {
  const clip = store.clip({ from: T0 + k * 2e6, to: T0 + k * 2e6 + 1e6 }); // segments 0 and 1
  await clip.writeMP4(join(dir, 'c.mp4'));
  clip.release();
}
let refused = null;
try {
  for (let k = 0; k < 400; k++) write();
} catch (e) {
  refused = `${e.name}: ${e.message}`;
}
await store.close();
rmSync(dir, { recursive: true, force: true });
if (refused) {
  console.log(`BUG: after writeMP4() + release(), the writer is refused: ${refused}`);
  process.exit(1);
}
console.log('ok: released clips no longer hold pins');
