/**
 * Parking mode: a keyframe timelapse into the same ring while parked, and a parking event
 * when the parked car is bumped, with the timelapse before and full-rate footage after.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dashcam, loadScenario } from '../src/index.js';
import { decodeErrors, ffprobe, scratch, smallDevice } from './helpers.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

describe('parking mode', () => {
  it('a parked-bump: a parking event whose clip decodes, timelapse before the impact and full rate after', async () => {
    const device = new Dashcam(smallDevice(join(tmp.dir, 'bump')));
    await device.powerOn();
    try {
      const summary = await device.run(loadScenario('parked-bump'), { speed: Infinity });
      expect(summary.events.map((e) => e.kind)).toEqual(['parking-bump']);
      const e = summary.events[0]!;
      expect(device.parked).toBe(true);
      expect((e.time - summary.from) / 1e6).toBeCloseTo(90, 0);
      expect((e.to - e.from) / 1e6).toBe(20); // the default parking clip: 5 s before, 15 s after
      expect(e.complete).toBe(true);
      expect(device.store.protections().length).toBe(1); // protected until the phone has it
      // The road camera before the bump: one picture a second; after it: 30 fps.
      const before = [...device.store.frames({ stream: 'road', from: e.from, to: e.time })];
      const after = [...device.store.frames({ stream: 'road', from: e.time, to: e.to })];
      expect(before.length).toBeGreaterThanOrEqual(4);
      expect(before.length).toBeLessThanOrEqual(6);
      for (let i = 1; i < before.length; i++) expect(before[i]!.pts - before[i - 1]!.pts).toBe(1e6);
      expect(after.length).toBeGreaterThan(14 * 30);
      // The clip a phone would fetch decodes and holds the impact.
      const clip = device.store.clip({ from: e.from, to: e.to });
      const out = join(tmp.dir, 'bump.mp4');
      await clip.writeMP4(out);
      const road = clip.tracks.find((t) => t.name === 'road')!;
      expect(road.first!).toBeLessThanOrEqual(e.time - 4e6);
      expect(road.end!).toBeGreaterThanOrEqual(e.time + 14e6);
      clip.release();
      expect(decodeErrors(out)).toBe('');
      expect(ffprobe(out).streams.map((s) => s.tags?.handler_name)).toEqual([
        'road',
        'cabin',
        'cabin-audio',
        'telemetry',
      ]);
      // A timelapse has no sound: the microphone starts with the full-rate footage after the bump.
      const audio = [...device.store.frames({ stream: 'cabin-audio', from: e.from, to: e.to })];
      expect(audio[0]!.pts).toBeGreaterThanOrEqual(e.time);
      expect(audio[0]!.pts - e.time).toBeLessThan(21_334 + 10_000);
      expect(audio.length).toBeGreaterThan(14 * 46);
    } finally {
      await device.powerOff();
    }
  });

  it('a parked night stays within its storage budget: hours of parking per GiB', async () => {
    // The default cameras (road 1280x720 at 30 fps, cabin 640x360 at 15 fps).
    const device = new Dashcam({
      ...smallDevice(join(tmp.dir, 'night')),
      cameras: undefined,
      memory: { capacity: '256MiB', segmentSize: '4MiB' },
    });
    await device.powerOn();
    try {
      const drive = await device.run(
        { name: 'cruise', duration: '20s', steps: [{ at: '0s', type: 'speed', to: 50 }] } as never,
        { speed: Infinity },
      );
      const drivingBytes = Object.values(drive.bytes).reduce((a, b) => a + b, 0) / 20;
      const parked = await device.run(
        { name: 'night', parked: true, roadNoise: 0, duration: '600s', steps: [] } as never,
        { speed: Infinity },
      );
      expect(parked.events).toEqual([]);
      const parkedBytes = Object.values(parked.bytes).reduce((a, b) => a + b, 0) / 600;
      const hoursPerGiB = 2 ** 30 / (parkedBytes * 3600);
      console.log(
        `parking: ${((parkedBytes * 3600) / 2 ** 20).toFixed(1)} MiB per hour (${hoursPerGiB.toFixed(1)} h per GiB); driving ${((drivingBytes * 3600) / 2 ** 20).toFixed(0)} MiB per hour`,
      );
      // The stated budget (docs/device-api.md, "Parking mode"): about 4 hours of parking per
      // GiB with the default cameras (held to 3.5 here), under a twentieth of driving's bitrate.
      expect(hoursPerGiB).toBeGreaterThanOrEqual(3.5);
      expect(parkedBytes).toBeLessThan(drivingBytes / 20);
      expect(parked.frames.road).toBe(600);
      expect(parked.frames.cabin).toBe(600);
    } finally {
      await device.powerOff();
    }
  });
});
