// Leak check: create / write / clip / export / close in a loop; prints RSS per iteration.
// Run with --expose-gc. Arguments: the built package's index.js, a scratch dir, iterations.
import { readFileSync, rmSync } from 'node:fs';
import { splitAccessUnits } from '../helpers/annexb.js';
const [lib, dir, iterations, fixture] = process.argv.slice(2);
const { SegmentStore } = await import(lib);
const bytes = readFileSync(fixture);
const units = splitAccessUnits(bytes);
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const rss = [];
for (let it = 0; it < Number(iterations); it++) {
  const path = `${dir}/leak-${it % 2}.ring`;
  const store = await SegmentStore.create(path, { capacity: '6MiB', segmentSize: '1MiB', streams: ['road'] });
  for (let i = 0; i < 150; i++) store.write('road', units[i % units.length], { pts: T0 + i * 33333 });
  const clip = store.clip({ from: T0 + 1e6, to: T0 + 4e6, allowPartial: true });
  await clip.writeMP4(`${dir}/leak.mp4`);
  const vf = clip.toVirtualMP4({ fragmented: true });
  vf.read(0, Math.min(vf.size, 1 << 20));
  clip.release();
  for (const f of store.frames({ stream: 'road', from: T0 + 3e6 })) void f.size;
  await store.flush();
  await store.close();
  rmSync(path);
  globalThis.gc?.();
  rss.push(process.memoryUsage().rss);
}
console.log(JSON.stringify({ rss }));
