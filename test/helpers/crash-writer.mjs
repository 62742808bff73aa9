// A child process that records and flushes in a loop until it is killed (uses the built
// package in dist/, which `npm test` compiles first).
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SegmentStore } from '../../dist/index.js';

const [path, t0, fixturePath] = process.argv.slice(2);
const store = await SegmentStore.create(path, { capacity: '64MiB', segmentSize: '2MiB', streams: ['road'] });
const bytes = readFileSync(fixturePath);
for (let i = 0; ; i++) {
  const start = Number(t0) + i * 10e6;
  await pipeline(Readable.from([bytes]), store.createWriteStream('road', { fps: 30, start }));
  await store.flush();
  process.stdout.write(`flushed ${start + Math.round((299 * 1e6) / 30)}\n`);
}
