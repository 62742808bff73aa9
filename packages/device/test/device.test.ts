/**
 * The dashcam end to end in one process: scripted events protect their footage in internal
 * memory through a ring that wraps many times, until the phone acknowledges them; power
 * cycles start new drives and keep unacknowledged events.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ClipRangeError, SegmentStore } from 'ringclip';
import { Dashcam, loadScenario, type Scenario } from '../src/index.js';
import { decodeErrors, ffprobe, ffprobePath, FIXTURES, fixturesDir, run, scratch, smallDevice, T0 } from './helpers.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

const cruise = (duration: number): Scenario => ({
  name: 'cruise',
  duration,
  seed: 5,
  potholes: { every: '30s' },
  steps: [{ at: 0, type: 'speed', to: 50, accel: 0.2 }],
});

describe('Dashcam', () => {
  it('records both cameras from power-on and makes the scripted events, with traces and protected windows', async () => {
    const dir = `${tmp.dir}/a`;
    const cam = new Dashcam(smallDevice(dir));
    await cam.powerOn();
    const seen: string[] = [];
    cam.on('event', (e) => seen.push(e.kind));
    const s = await cam.run(loadScenario('hard-brake-collision'), { speed: Infinity });
    expect(seen).toEqual(['hard-brake', 'collision']);
    expect(s.events.map((e) => [e.kind, Math.round((e.time - T0) / 1e6)])).toEqual([
      ['hard-brake', 15],
      ['collision', 40],
    ]);
    expect(s.frames).toEqual({ road: 1800, cabin: 900 });
    for (const e of s.events) {
      expect(e.complete && !e.acknowledged && e.protectionId !== null).toBe(true);
      expect([e.from, e.to]).toEqual([e.time - 3e6, e.time + 3e6]);
      expect(e.trace.samples.length).toBeGreaterThanOrEqual(590); // ±3 s at 100 Hz
      expect(Math.max(...e.trace.samples.map(([x, y, z]) => Math.hypot(x, y, z - 1)))).toBeGreaterThan(0.4);
    }
    const info = cam.store.info();
    // 60 s: 46.875 AAC frames a second from power-on; 100 G-sensor samples and 10 GPS fixes a second.
    expect(info.streams.map((x) => [x.name, x.kind, x.frames])).toEqual([
      ['road', 'video', 1800],
      ['cabin', 'video', 900],
      ['cabin-audio', 'audio', 2813],
      ['telemetry', 'metadata', 6600],
    ]);
    expect(info.streams.slice(0, 2).map((x) => [x.width, x.height])).toEqual([
      [320, 180],
      [160, 96],
    ]);
    expect(info.protections).toBe(2);
    // The collision clip, both cameras, straight from internal memory.
    const clip = cam.store.clip({ from: s.events[1]!.from, to: s.events[1]!.to });
    await clip.writeMP4(`${dir}/collision.mp4`);
    clip.release();
    expect(decodeErrors(`${dir}/collision.mp4`)).toBe('');
    expect(ffprobe(`${dir}/collision.mp4`).streams.map((x) => [x.codec_type, x.width, x.height])).toEqual([
      ['video', 320, 180],
      ['video', 160, 96],
      ['audio', undefined, undefined],
      ['data', undefined, undefined],
    ]);
    await cam.powerOff();
    // events.json is next to the store
    expect(JSON.parse(readFileSync(`${dir}/events.json`, 'utf8')).events).toHaveLength(2);
  });

  it('event footage survives a ring that wraps many times until acknowledged, then is released', async () => {
    const dir = `${tmp.dir}/wrap`;
    const cam = new Dashcam(smallDevice(dir, { memory: { capacity: '8MiB', segmentSize: '1MiB', protectCap: 0.5 } }));
    await cam.powerOn();
    await cam.run(cruise(5), { speed: Infinity });
    const manual = cam.manualClip(4);
    const h264 = (await cam.run(cruise(1), { speed: Infinity }), cam.store.clip({ from: manual.from, to: manual.to }));
    const before = h264.toVirtualMP4({ format: 'h264', stream: 'road' }).read(0);
    h264.release();
    const s = await cam.run(cruise(150), { speed: Infinity });
    const info = cam.store.info();
    // ~150 s of footage through an 8 MiB ring: it wrapped several times over
    expect(s.overwrittenFrames).toBeGreaterThan(3 * (info.streams[0]!.frames + info.streams[1]!.frames));
    // the footage right after the clip is long gone
    expect(() => cam.store.clip({ from: manual.to + 10e6, to: manual.to + 20e6 })).toThrow(ClipRangeError);
    // ...but the manual clip's footage is intact, byte for byte
    const kept = cam.store.clip({ from: manual.from, to: manual.to });
    expect(kept.partial).toBe(false);
    expect(kept.toVirtualMP4({ format: 'h264', stream: 'road' }).read(0).equals(before)).toBe(true);
    await kept.writeMP4(`${dir}/manual.mp4`);
    kept.release();
    expect(decodeErrors(`${dir}/manual.mp4`)).toBe('');
    // The phone has it: released, and loop recording takes the space back.
    cam.acknowledge(manual.id);
    expect(cam.store.protections()).toHaveLength(0);
    await cam.run(cruise(40), { speed: Infinity });
    expect(() => cam.store.clip({ from: manual.from, to: manual.to })).toThrow(ClipRangeError);
    expect(cam.event(manual.id)!.acknowledged).toBe(true);
    await cam.powerOff();
  });

  it('power cycles: a new drive each time, time moves on, unacknowledged events and their protections survive', async () => {
    const dir = `${tmp.dir}/cycle`;
    const cam = new Dashcam(smallDevice(dir));
    await cam.powerOn();
    expect(cam.drive).toBe(1);
    await cam.run(cruise(3), { speed: Infinity });
    const e = cam.manualClip(2);
    await cam.powerOff();
    await cam.powerOn();
    expect(cam.drive).toBe(2);
    expect(cam.now()).toBeGreaterThan(T0 + 3e6);
    expect(cam.event(e.id)).toMatchObject({
      kind: 'manual',
      acknowledged: false,
      complete: true,
      protectionId: e.protectionId,
    });
    await cam.run(cruise(2), { speed: Infinity });
    const drives = cam.store.info().drives;
    expect(drives.map((d) => d.id)).toEqual([1, 2]);
    expect(drives[1]!.first!).toBeGreaterThan(drives[0]!.last!);
    expect(cam.acknowledge(e.id)!.acknowledged).toBe(true);
    await cam.powerOff();
    // The store is a ringclip store anyone can open
    const store = await SegmentStore.open(`${dir}/memory.ring`, { readOnly: true });
    expect(store.protections()).toHaveLength(0);
    expect(store.verify().ok).toBe(true);
    await store.close();
  });

  it('an abrupt power-off mid-drive saves nothing more; power-on recovers the memory and keeps the events', async () => {
    const dir = `${tmp.dir}/abrupt`;
    const cam = new Dashcam(smallDevice(dir));
    await cam.powerOn();
    const running = cam.run(loadScenario('hard-brake-collision'), { speed: 40 });
    await new Promise<void>((resolve) => cam.once('event', () => resolve()));
    await new Promise((r) => setTimeout(r, 100));
    const durable = cam.durableUntil!;
    const events = cam.events.map((e) => e.id);
    expect(events).toHaveLength(1);
    await cam.powerOff({ abrupt: true });
    const summary = await running; // the drive ends with the power
    expect(summary.to).toBeGreaterThan(T0 + 15e6);
    expect(summary.to).toBeLessThan(T0 + 30e6);
    await cam.powerOn();
    expect(cam.drive).toBe(2);
    expect(cam.recovery).not.toBeNull();
    const road = cam.store.info().streams[0]!;
    expect(road.last!).toBeGreaterThanOrEqual(durable - 40_000);
    expect(cam.events.map((e) => [e.id, e.acknowledged, e.protectionId !== null])).toEqual([[events[0], false, true]]);
    await cam.powerOff();
  });

  it('a camera can replay an H.264 recording in a loop', async () => {
    const dir = `${tmp.dir}/replay`;
    const cam = new Dashcam(
      smallDevice(dir, {
        memory: { capacity: '64MiB', segmentSize: '4MiB' },
        cameras: [
          { name: 'road', replay: `${fixturesDir}/${FIXTURES.road}`, fps: 30 },
          { name: 'cabin', width: 160, height: 96, fps: 15 },
        ],
      }),
    );
    await cam.powerOn();
    await cam.run(cruise(12), { speed: Infinity }); // the fixture is 10 s: it loops
    const road = cam.store.info().streams[0]!;
    expect([road.frames, road.width, road.height]).toEqual([360, 1920, 1080]);
    const clip = cam.store.clip({ from: T0 + 8e6, to: T0 + 12e6 });
    await clip.writeMP4(`${dir}/loop.mp4`);
    clip.release();
    expect(decodeErrors(`${dir}/loop.mp4`)).toBe('');
    await cam.powerOff();
    expect(existsSync(`${dir}/memory.ring`)).toBe(true);
  });

  it('a camera replays a recording with B-frames in its own presentation order, across the loop', async () => {
    const dir = `${tmp.dir}/replay-b`;
    const cam = new Dashcam(
      smallDevice(dir, {
        memory: { capacity: '64MiB', segmentSize: '4MiB' },
        cameras: [
          { name: 'road', replay: `${fixturesDir}/${FIXTURES.bframes}`, fps: 30 },
          { name: 'cabin', width: 160, height: 96, fps: 15 },
        ],
      }),
    );
    await cam.powerOn();
    await cam.run(cruise(12), { speed: Infinity }); // the fixture is 10 s (B-frames, reorder depth 2): it loops
    const road = cam.store.info().streams[0]!;
    expect([road.frames, road.width, road.height]).toEqual([360, 1280, 720]);
    // decode times strictly increase, never after the picture is shown; B pictures are shown
    // before the reference decoded ahead of them
    const frames = [...cam.store.frames({ stream: 'road' })].map((f) => ({ pts: f.pts, dts: f.dts }));
    let reordered = 0;
    for (let i = 1; i < frames.length; i++) {
      expect(frames[i]!.dts, `frame ${i}`).toBeGreaterThan(frames[i - 1]!.dts);
      if (frames[i]!.pts < frames[i - 1]!.pts) reordered++;
    }
    for (const f of frames) expect(f.dts).toBeLessThanOrEqual(f.pts);
    expect(reordered).toBeGreaterThan(100);
    // every capture time once: the frames shown are the 30 fps grid, loop point included
    const shown = frames.map((f) => f.pts).sort((a, b) => a - b);
    for (let i = 1; i < shown.length; i++)
      expect(Math.abs(shown[i]! - shown[i - 1]! - 1e6 / 30)).toBeLessThanOrEqual(1);
    const clip = cam.store.clip({ from: T0 + 8e6, to: T0 + 12e6, streams: ['road'] });
    await clip.writeMP4(`${dir}/loop.mp4`);
    clip.release();
    expect(decodeErrors(`${dir}/loop.mp4`)).toBe('');
    // a player shows the pictures at steady times in the order it decodes them out
    const probe = run(ffprobePath, [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'frame=best_effort_timestamp_time',
      '-of',
      'json',
      `${dir}/loop.mp4`,
    ]);
    const times = (JSON.parse(probe.stdout) as { frames: Array<{ best_effort_timestamp_time: string }> }).frames.map(
      (f) => Number(f.best_effort_timestamp_time),
    );
    expect(times.length).toBeGreaterThan(100);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `picture ${i}`).toBeCloseTo(1 / 30, 3);
    await cam.powerOff();
  });
});
