import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore, StoreLockedError } from '../lib/index.js';
import { T0, recordInterleaved } from './helpers/store.js';
import { FIXTURES, fixturesDir, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function comparable(info: ReturnType<SegmentStore['info']>) {
  // The current drive differs by design: every open for writing starts a new one; the
  // header writes are counted per open (diagnostic).
  const { currentDrive, headerWrites, ...rest } = info;
  void currentDrive;
  void headerWrites;
  return { ...rest, streams: rest.streams.map(({ overwrittenFrames, droppedFrames, rejectedUnits, ...s }) => s) };
}

describe('reopen and crash', () => {
  it('reopens to an identical info() and identical frames', async () => {
    const path = `${tmp.dir}/reopen.ring`;
    const store = await SegmentStore.create(path, {
      capacity: '12MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      30,
    );
    const before = store.info();
    const frames = [...store.frames({ stream: 'cabin' })].map((f) => [
      f.pts,
      Buffer.from(f.payload).toString('base64'),
    ]);
    await store.close();
    const again = await SegmentStore.open(path);
    expect(comparable(again.info())).toEqual(comparable(before));
    expect(
      [...again.frames({ stream: 'cabin' })].map((f) => [f.pts, Buffer.from(f.payload).toString('base64')]),
    ).toEqual(frames);
    expect(again.recovery.damagedRecords).toBe(0);
    expect(again.info().drives.map((d) => d.id)).toEqual([1]);
    // Recording after reopen starts a new drive.
    recordInterleaved(again, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 2, T0 + 40e6);
    expect(again.info().drives.map((d) => d.id)).toEqual([1, 2]);
    await again.close();
  });

  it('refuses a second writer, allows readers', async () => {
    const path = `${tmp.dir}/lock.ring`;
    const store = await SegmentStore.create(path, { capacity: '4MiB', segmentSize: '1MiB', streams: ['road'] });
    await expect(SegmentStore.open(path)).rejects.toBeInstanceOf(StoreLockedError);
    const reader = await SegmentStore.open(path, { readOnly: true });
    expect(reader.readOnly).toBe(true);
    expect(() => reader.write('road', Buffer.alloc(8), { pts: 1 })).toThrow(/read-only/);
    await reader.close();
    await store.close();
  });

  it('after kill -9 of a writing process, everything flushed is there and verify is clean', async () => {
    const path = `${tmp.dir}/killed.ring`;
    const writer = new URL('./helpers/crash-writer.mjs', import.meta.url).pathname;
    const child = spawn(process.execPath, [writer, path, String(T0), `${fixturesDir}/${FIXTURES.road}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // The child prints the pts of the last frame covered by each completed flush.
    let lastFlushed = -1;
    let output = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const lines = output.split('\n').filter(Boolean);
        const flushed = lines.filter((l) => l.startsWith('flushed ')).map((l) => Number(l.slice(8)));
        if (flushed.length >= 3 && lastFlushed < 0) {
          lastFlushed = flushed[flushed.length - 1]!;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(lastFlushed).toBeGreaterThan(0);
    const store = await SegmentStore.open(path);
    const road = [...store.frames({ stream: 'road' })];
    expect(road.length).toBeGreaterThan(0);
    // Every frame up to the last flushed one is present.
    const ptsSet = new Set(road.map((f) => f.pts));
    let checked = 0;
    for (let i = 0; T0 + Math.round((i * 1e6) / 30) <= lastFlushed; i++) {
      const start = T0 + Math.floor(i / 300) * 10e6;
      expect(ptsSet.has(start + Math.round(((i % 300) * 1e6) / 30))).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(900);
    expect(store.verify().ok).toBe(true);
    await store.close();
  });
});
