import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SegmentStore } from 'ringclip';
import { describe, expect, it } from 'vitest';
import { recordInterleaved, T0 } from '../../../test/helpers/store.js';
import { FIXTURES } from '../../../test/helpers/tools.js';
import { openApp, scratch } from './helpers.js';

describe('budget', () => {
  it('defaults to 50 % of the phone and migrates the ring when changed, keeping the newest footage', async () => {
    const tmp = scratch();
    const app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
    try {
      expect(app.budget().bytes).toBe(32 * 2 ** 20);
      expect(app.budget().share).toBe(0.5);
      const cap = app.ring!.info().capacity;
      expect(cap).toBeLessThanOrEqual(32 * 2 ** 20);
      recordInterleaved(
        app.ring!,
        [
          { stream: 'road', file: FIXTURES.cabin, fps: 30 },
          { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
        ],
        20,
      );
      const video = () => app.ring!.info().streams.filter((s) => s.kind === 'video');
      const before = video().map((s) => [s.first, s.last]);
      const b = await app.setBudget('10%');
      expect(b.bytes).toBe(Math.floor(64 * 2 ** 20 * 0.1));
      const info = app.ring!.info();
      expect(info.capacity).toBeLessThan(cap);
      expect(b.used).toBeLessThanOrEqual(b.bytes);
      // the newest footage made it; the oldest was dropped if it did not fit
      video().forEach((s, i) => {
        expect(Math.abs(s.last! - before[i]![1]!)).toBeLessThan(100);
        expect(s.first!).toBeGreaterThanOrEqual(before[i]![0]! - 100);
      });
      const grown = await app.setBudget('50%');
      expect(grown.bytes).toBe(32 * 2 ** 20);
      expect(app.ring!.info().capacity).toBe(cap);
      expect(app.ring!.info().streams[0]!.last).toBe(info.streams[0]!.last);
      void T0;
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

describe('a phone ring from before cabin audio and telemetry', () => {
  it('gains their streams when the app opens it, keeping every frame (as a budget change copies)', async () => {
    const tmp = scratch();
    const old = join(tmp.dir, 'phone', 'phone-1.ring');
    mkdirSync(dirname(old), { recursive: true });
    const ring = await SegmentStore.create(old, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
      protectCap: 0,
    });
    recordInterleaved(
      ring,
      [
        { stream: 'road', file: FIXTURES.cabin, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      5,
    );
    const frames = (s: SegmentStore) =>
      ['road', 'cabin'].map((name) =>
        [...s.frames({ stream: name })].map((f) => `${f.pts} ${Buffer.from(f.payload).toString('base64')}`),
      );
    const before = frames(ring);
    await ring.close();
    const app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
    try {
      expect(app.ring!.streams).toEqual(['road', 'cabin', 'cabin-audio', 'telemetry']);
      expect(app.ring!.streamKinds).toEqual({
        road: 'video',
        cabin: 'video',
        'cabin-audio': 'audio',
        telemetry: 'metadata',
      });
      expect(frames(app.ring!)).toEqual(before);
      expect(before[0]!.length).toBe(150);
      expect(existsSync(old)).toBe(false); // the old ring went once copied
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

describe('budget change in the default setup (road streamed, cabin empty)', () => {
  it('keeps every road frame that fits, byte for byte, shrinking and growing', async () => {
    const tmp = scratch();
    const app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
    try {
      // Only the road camera reaches the phone: its cabin stream stays empty.
      recordInterleaved(app.ring!, [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }], 20);
      const frames = () =>
        [...app.ring!.frames({ stream: 'road' })].map((f) => `${f.pts} ${Buffer.from(f.payload).toString('base64')}`);
      const before = frames();
      expect(before.length).toBe(600);
      expect(app.ring!.info().streams.find((s) => s.name === 'cabin')!.frames).toBe(0);
      // 40 % of 64 MiB still holds 20 s of 720p (~2 MB): nothing may be lost.
      await app.setBudget('40%');
      expect(app.ring!.info().capacity).toBeLessThan(32 * 2 ** 20);
      expect(frames()).toEqual(before);
      await app.setBudget('50%');
      expect(frames()).toEqual(before);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

describe('the ring follows the budget', () => {
  it('shrinks for clips and grows back when they are deleted; a restart keeps it so', async () => {
    const tmp = scratch();
    let app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
    try {
      const full = app.ring!.info().capacity;
      recordInterleaved(app.ring!, [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }], 20);
      // Clips the user keeps (not uploaded: never evicted) fill the reserve and more.
      const ids: string[] = [];
      while (app.ring!.info().capacity === full && ids.length < 40)
        ids.push((await app.clip({ from: T0, to: T0 + 20e6 })).id);
      const shrunk = app.ring!.info().capacity;
      expect(shrunk).toBeLessThan(full);
      expect(app.budget().used).toBeLessThanOrEqual(app.budget().bytes);
      await app.close();
      app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
      expect(app.ring!.info().capacity).toBe(shrunk);
      const last = app.ring!.info().streams[0]!.last;
      for (const id of ids) await app.delete(id);
      expect(app.ring!.info().capacity).toBe(full);
      expect(app.ring!.info().streams[0]!.last).toBe(last); // the footage came along
      await app.close();
      app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
      expect(app.ring!.info().capacity).toBe(full);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});

describe('hours that fit', () => {
  it('the estimate from the measured bitrate is within 10 % of what the ring then holds', async () => {
    const tmp = scratch();
    const app = await openApp(tmp.dir, { phoneStorage: '64MiB' });
    try {
      expect(app.hoursThatFit()).toMatchObject({ bytesPerSecond: null, ring: null, budget: null });
      recordInterleaved(app.ring!, [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }], 20);
      const fit = app.hoursThatFit();
      expect(fit.bytesPerSecond).toBeGreaterThan(0);
      expect(fit.clipReserveBytes).toBe(app.budget().bytes - app.ring!.info().capacity);
      const estimate = fit.ring! * 3600;
      expect(fit.budget! * 3600).toBeCloseTo(estimate, -1); // no clips: the ring is the budget's
      // Now fill it: drive on until loop recording has gone round the ring twice.
      let overwritten = 0;
      app.ring!.on('overwrite', (e) => {
        overwritten += e.frames;
      });
      recordInterleaved(
        app.ring!,
        [{ stream: 'road', file: FIXTURES.cabin, fps: 30 }],
        Math.ceil(estimate * 2.2),
        T0 + 20e6,
      );
      expect(overwritten).toBeGreaterThan(0);
      const held = app.ring!.retention().footage;
      expect(Math.abs(estimate - held) / held).toBeLessThan(0.1);
    } finally {
      await app.close();
      tmp.cleanup();
    }
  });
});
