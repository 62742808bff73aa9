/**
 * `ringclip demo` (what `npm start` runs until the end-to-end simulation lands): records the
 * road and cabin fixtures into a store, cuts a dual clip, and prints the store's info.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFileSync } from 'node:fs';
import { SegmentStore } from '../segment-store.js';
import { InvalidArgumentError } from '../errors.js';
import { formatBytes, microsToIso } from '../units.js';
import type { Flags } from './commands.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function demo(flags: Flags): Promise<number> {
  const fixtures = join(root, 'test', 'fixtures');
  const road = join(fixtures, 'road_1080p30_high_gop30.h264');
  const cabin = join(fixtures, 'cabin_720p30_main_gop30.h264');
  if (!existsSync(road) || !existsSync(cabin)) {
    throw new InvalidArgumentError(
      `the demo records the fixtures in ${fixtures}, which this installation does not have (run it from a clone of the repository)`,
    );
  }
  const dir = typeof flags.dir === 'string' ? flags.dir : mkdtempSync(join(tmpdir(), 'ringclip-demo-'));
  const path = join(dir, 'dashcam.ring');
  const store = await SegmentStore.create(path, { capacity: '64MiB', segmentSize: '4MiB', streams: ['road', 'cabin'] });
  let lost = 0;
  store.on('overwrite', (e) => {
    lost += e.frames;
  });
  const start = Date.now() * 1000;
  // Three minutes of both cameras (the 10 s fixtures looped) through a 64 MiB ring.
  for (let i = 0; i < 18; i++) {
    for (const [stream, file] of [
      ['road', road],
      ['cabin', cabin],
    ] as const) {
      await pipeline(
        Readable.from([readFileSync(file)]),
        store.createWriteStream(stream, { fps: 30, start: start + i * 10e6 }),
      );
    }
  }
  await store.flush();
  const info = store.info();
  const last = info.streams[0]!.last!;
  const clip = store.clip({ from: last - 20e6, to: last - 10e6 });
  const out = join(dir, 'event.mp4');
  const { bytes } = await clip.writeMP4(out);
  clip.release();
  process.stdout.write(
    `recorded 3 minutes of road + cabin into ${path} (${formatBytes(info.capacity)} ring; ${lost} old frames overwritten)\n`,
  );
  process.stdout.write(`cut a 10 s dual clip: ${out} (${formatBytes(bytes)})\n\n`);
  for (const s of info.streams) {
    process.stdout.write(
      `${s.name.padEnd(6)} ${s.codec} ${s.width}x${s.height}: ${s.frames} frames (${s.keyframes} key frames) ${microsToIso(s.first!)} .. ${microsToIso(s.last!)}\n`,
    );
  }
  process.stdout.write(`\nringclip info ${path}   # the full report\n`);
  await store.close();
  return 0;
}
