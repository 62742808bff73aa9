/**
 * The device's microphone, GPS and G-sensor in internal memory and in its clips: the
 * telemetry stream holds camm GPS fixes at the set rate and every G-sensor sample, on the
 * cameras' clock; the cabin audio's clicks decode on whole seconds of capture time (A/V sync
 * against the burned-in clock) in keyframe and exact clips; ffprobe sees the audio and the
 * camm data track; a second trigger extends an event, whose trace covers its whole clip; the
 * settings change what is recorded and survive a power cycle.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCamm, unixMicrosFromGps, type CammPacket } from 'ringclip';
import { CABIN_AUDIO_ASSET, Dashcam, type RunSummary, type Scenario } from '../src/index.js';
import { decodeAudio, ffprobe, run, scratch, smallDevice, T0 } from './helpers.js';

const tmp = scratch();
afterAll(() => tmp.cleanup());

// A hard brake at 8 s, a collision 2 s later (inside the brake's window), then a quiet drive.
const scenario: Scenario = {
  name: 'brake-then-crash',
  seed: 4,
  duration: 24,
  route: { latitude: 48.85, longitude: 2.35, heading: 90 },
  steps: [
    { at: 0.5, type: 'speed', to: 60, accel: 0.3 },
    { at: 8, type: 'brake', to: 20, decel: 0.7 },
    { at: 10, type: 'collision', peak: 4, to: 0 },
    { at: 14, type: 'speed', to: 30, accel: 0.2 },
  ],
};

let cam: Dashcam;
let summary: RunSummary;
beforeAll(async () => {
  cam = new Dashcam(smallDevice(`${tmp.dir}/dev`));
  await cam.powerOn();
  summary = await cam.run(scenario, { speed: Infinity });
});
afterAll(async () => {
  await cam.powerOff();
});

function telemetry(from: number, to: number): Array<{ pts: number; packet: CammPacket }> {
  return [...cam.store.frames({ stream: 'telemetry', from, to })].map((f) => ({
    pts: f.pts,
    packet: decodeCamm(f.payload),
  }));
}

/** Click onsets (seconds from the start of the decoded audio): the first loud sample after 0.5 s of none. */
function clicks(file: string): { onsets: number[]; rms: number } {
  const pcm = decodeAudio(file);
  const onsets: number[] = [];
  let last = -48_000,
    sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    sum += pcm[i]! * pcm[i]!;
    if (Math.abs(pcm[i]!) > 0.4) {
      if (i - last > 24_000) onsets.push(i / 48_000);
      last = i;
    }
  }
  return { onsets, rms: Math.sqrt(sum / pcm.length) };
}

describe('what a drive records besides pictures', () => {
  it('24 s: 1125 AAC frames (three loops of the asset, ADTS headers off), 2400 G-sensor samples and 240 GPS fixes', () => {
    expect(summary.audio).toEqual({ frames: 1125, bytes: 3 * (statSync(CABIN_AUDIO_ASSET).size - 375 * 7) });
    expect(summary.telemetry).toEqual({ samples: 2640, gps: 240, bytes: 2400 * 16 + 240 * 60 });
    expect([...cam.store.frames({ stream: 'cabin-audio' })]).toHaveLength(1125);
  });
});

describe('telemetry stream', () => {
  it('holds every G-sensor sample (camm 3, m/s²) and GPS fixes at 10 Hz on whole tenths (camm 6), times strictly increasing', () => {
    const samples = telemetry(T0 + 2e6, T0 + 4e6);
    const accel = samples.filter((s) => s.packet.type === 3),
      gps = samples.filter((s) => s.packet.type === 6);
    expect(accel).toHaveLength(200);
    expect(gps.map((s) => s.pts - T0)).toEqual(
      Array.from({ length: 20 }, (_, k) => 2e6 + k * 1e5).map((t) => (t % 10_000 === 0 ? t + 1 : t)),
    );
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.pts).toBeGreaterThan(samples[i - 1]!.pts);
    // A fix's own time is the exact epoch (the store time moved by 1 µs where a G-sensor sample sits).
    for (const s of gps)
      if (s.packet.type === 6) expect(unixMicrosFromGps(s.packet.timeGpsEpoch)).toBe(Math.floor(s.pts / 1e5) * 1e5);
    const a = accel[0]!.packet;
    if (a.type !== 3) throw new Error('not an accelerometer packet');
    expect(a.acceleration[2]).toBeGreaterThan(8); // gravity, in m/s²
  });

  it('GPS follows the route at the scenario speed: east at 60 km/h before the brake, stopped after the crash', () => {
    const fix = (t: number) => telemetry(T0 + t, T0 + t + 2).find((s) => s.packet.type === 6)!.packet;
    const cruising = fix(7e6),
      stopped = fix(12e6);
    if (cruising.type !== 6 || stopped.type !== 6) throw new Error('not GPS packets');
    expect(Math.hypot(cruising.velocityEast, cruising.velocityNorth) * 3.6).toBeCloseTo(60, 0);
    expect(cruising.velocityEast).toBeGreaterThan(16);
    expect(Math.hypot(stopped.velocityEast, stopped.velocityNorth)).toBe(0);
    expect(cruising.gpsFixType).toBe(3);
    expect(cruising.latitude).toBeCloseTo(48.85, 3);
    expect(cruising.longitude).toBeGreaterThan(2.35);
  });
});

describe('events', () => {
  it("a collision inside a hard brake's window extends that event; its trace covers the whole clip", () => {
    const events = cam.events;
    expect(events.map((e) => e.kind)).toEqual(['hard-brake']);
    const e = events[0]!;
    expect(e.triggers?.map((x) => x.kind)).toEqual(['hard-brake', 'collision']);
    const collision = e.triggers![1]!;
    expect(e.from).toBe(e.time - 3e6);
    expect(e.to).toBe(collision.time + 3e6);
    expect(e.complete && e.protectionId !== null).toBe(true);
    expect(cam.store.protections().map((p) => [p.from, p.to])).toEqual([[e.from, e.to]]);
    expect(e.trace.start - e.from).toBeLessThan(10_000);
    expect(e.trace.samples).toHaveLength(Math.floor((e.to - e.trace.start) / 10_000) + 1);
  });

  it('the event clip has road, cabin, AAC audio and a camm data track; its clicks sit on whole seconds', async () => {
    const e = cam.events[0]!;
    const clip = cam.store.clip({ from: e.from, to: e.to });
    const file = `${tmp.dir}/event.mp4`;
    await clip.writeMP4(file);
    const [start, end] = [clip.start, clip.end];
    clip.release();
    const probe = ffprobe(file);
    expect(probe.streams.map((s) => [s.codec_type, s.codec_name ?? s.codec_tag_string])).toEqual([
      ['video', 'h264'],
      ['video', 'h264'],
      ['audio', 'aac'],
      ['data', expect.anything()],
    ]);
    expect(probe.streams[3]!.codec_tag_string).toBe('camm');
    expect(probe.streams[2]).toMatchObject({ sample_rate: '48000', channels: 1, profile: 'LC' });
    expectClicksOnWholeSeconds(file, start, Number(probe.streams[2]!.start_time));
    // Stock exiftool reads the GPS fixes: the route the device drove, fix by fix.
    const r = run('exiftool', [
      '-ee',
      '-n',
      '-j',
      '-G3',
      '-GPSLatitude',
      '-GPSLongitude',
      '-GPSVelocityEast',
      '-GPSVelocityNorth',
      file,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const tags = Object.entries((JSON.parse(r.stdout) as Array<Record<string, number>>)[0]!);
    const values = (name: string) => tags.filter(([k]) => k.endsWith(`:${name}`)).map(([, v]) => v);
    // The clip's span: from the key frame at or before the window's start.
    const fixes = telemetry(start, end).flatMap((x) => (x.packet.type === 6 ? [x.packet] : []));
    expect(fixes.length).toBe(Math.round((end - start) / 1e5));
    // (exiftool prints 15 significant digits)
    const near = (got: number[], want: number[]) =>
      expect(got.map((v, k) => Math.abs(v - want[k]!))).toEqual(want.map(() => expect.closeTo(0, 10)));
    near(
      values('GPSLatitude'),
      fixes.map((f) => f.latitude),
    );
    near(
      values('GPSLongitude'),
      fixes.map((f) => f.longitude),
    );
    const kmh = values('GPSVelocityEast').map((east, i) => Math.hypot(east, values('GPSVelocityNorth')[i]!) * 3.6);
    expect(Math.max(...kmh)).toBeCloseTo(60, 3); // the cruise before the brake
    expect(kmh.at(-1)).toBe(0); // stopped by the collision
  });

  it('an exact cut keeps the clicks on whole seconds too', async () => {
    const from = T0 + 15_250_000;
    const clip = cam.store.clip({ from, to: from + 4e6, align: 'exact' });
    const file = `${tmp.dir}/exact.mp4`;
    await clip.writeMP4(file);
    clip.release();
    const probe = ffprobe(file);
    expectClicksOnWholeSeconds(file, from, Number(probe.streams.find((s) => s.codec_type === 'audio')!.start_time));
  });
});

/** Each click's capture time (clip origin + the audio's start + its place) is within 1 ms of a whole second. */
function expectClicksOnWholeSeconds(file: string, originUs: number, audioStart: number): void {
  const { onsets, rms } = clicks(file);
  expect(rms).toBeGreaterThan(0.02); // sound, not digital silence
  const times = onsets.filter((s) => s > 0.1).map((s) => originUs + (audioStart + s) * 1e6);
  expect(times.length).toBeGreaterThanOrEqual(3);
  for (const t of times) expect(Math.abs(t - Math.round(t / 1e6) * 1e6)).toBeLessThan(1000);
}

describe('settings', () => {
  it('cabin audio off stops the microphone, the GPS rate changes, and both survive a power cycle', async () => {
    const dir = `${tmp.dir}/settings`;
    const dev = new Dashcam(smallDevice(dir, { settings: { gpsHz: 1 } }));
    await dev.powerOn();
    expect(dev.settings).toEqual({ eventBeforeSeconds: 3, eventAfterSeconds: 3, cabinAudio: true, gpsHz: 1 });
    const drive: Scenario = { name: 'drive', duration: 2, steps: [{ at: 0, type: 'speed', to: 30 }] };
    await dev.run(drive, { speed: Infinity });
    const audioFrames = () => [...dev.store.frames({ stream: 'cabin-audio' })].length;
    const fixes = (from: number) =>
      [...dev.store.frames({ stream: 'telemetry', from })].filter((f) => decodeCamm(f.payload).type === 6).length;
    expect(audioFrames()).toBe(Math.ceil((2e6 * 48_000) / 1024 / 1e6));
    expect(dev.updateSettings({ cabinAudio: false, gpsHz: 4 })).toMatchObject({ cabinAudio: false, gpsHz: 4 });
    expect(() => dev.updateSettings({ gpsHz: 4, eventAfterSeconds: 0 })).toThrow(
      /eventAfterSeconds is seconds from 1 to 120, got 0/,
    );
    expect(() => dev.updateSettings({ volume: 3 })).toThrow(/unknown setting 'volume'/);
    const t = dev.now();
    const before = audioFrames();
    await dev.run(drive, { speed: Infinity });
    expect(audioFrames()).toBe(before);
    expect(fixes(t + 2)).toBe(8); // (t, t + 2 s] at 4 Hz; the fix at t itself was the 1 Hz one
    await dev.powerOff();
    const again = new Dashcam(smallDevice(dir));
    await again.powerOn();
    expect(again.settings).toEqual({ eventBeforeSeconds: 3, eventAfterSeconds: 3, cabinAudio: false, gpsHz: 4 });
    await again.powerOff();
  });
});
