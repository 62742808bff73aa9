#!/usr/bin/env node
// Failing reproduction (docs/RELIABILITY.md, "Known gaps"): after `await clip.writeMP4()`
// and `clip.release()`, the segments of the clip stay pinned until the virtual file that
// writeMP4() built internally is garbage-collected, so the writer cannot reclaim them and
// refuses frames with RingFullError. Exits 1 while the bug exists, 0 once it is fixed.
// Run: node test/reliability/repro-writemp4-pins.mjs   (needs dist/: npx tsc -p tsconfig.json)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const root = new URL('../../', import.meta.url).pathname;
const { SegmentStore } = await import(join(root, 'dist/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'ringclip-pins-'));
const bytes = readFileSync(join(root, 'test/fixtures/road_1080p30_high_gop30.h264'));
const starts = [];
for (let i = 0; i + 3 < bytes.length; i++) if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) { starts.push(bytes[i - 1] === 0 ? i - 1 : i); i += 2; }
const units = [];
let from = 0;
for (let k = 0; k < starts.length; k++) {
  const s = starts[k], type = bytes[s + (bytes[s + 2] === 1 ? 3 : 4)] & 0x1f;
  if (type === 1 || type === 5) { units.push(bytes.subarray(from, starts[k + 1] ?? bytes.length)); from = starts[k + 1] ?? bytes.length; }
}
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const store = await SegmentStore.create(join(dir, 'r.ring'), { capacity: 65536 + 3 * 1048576, segmentSize: '1MiB', streams: ['road'] });
let i = 0;
const write = () => store.write('road', units[i % units.length], { pts: T0 + i++ * 33333 });
for (; i < 150;) write(); // ~2.5 MB: the 3 segments are live
for (let k = 0; k < 2; k++) {
  const clip = store.clip({ from: T0 + k * 2e6, to: T0 + k * 2e6 + 1e6 }); // segments 0 and 1
  await clip.writeMP4(join(dir, 'c.mp4'));
  clip.release();
}
let refused = null;
try { for (let k = 0; k < 400; k++) write(); } catch (e) { refused = `${e.name}: ${e.message}`; }
await store.close();
rmSync(dir, { recursive: true, force: true });
if (refused) {
  console.log(`BUG: after writeMP4() + release(), the writer is refused: ${refused}`);
  process.exit(1);
}
console.log('ok: released clips no longer hold pins');
