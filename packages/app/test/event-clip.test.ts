import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mp4Source } from 'ringclip';
import { CloudClient } from '../src/index.js';
import { audioClicks, ffprobe } from '../../../test/helpers/tools.js';
import { CODE, decodeErrors, drive, openApp, scratch, startCloud, startDevice, cruise, until } from './helpers.js';

/** The road camera's frame time: A/V sync must hold within one (µs). */
const FRAME_US = 1e6 / 30;

/**
 * A/V sync of a clip, from its sound: the cabin microphone clicks on every whole second of
 * capture time, and the file's presentation time 0 is the capture time `start` of its first
 * video frame; each click's distance to its whole second (µs) is how far the audio has moved
 * against the video on the way.
 */
function syncErrors(file: string, start: number): number[] {
  return audioClicks(file).map((t) => {
    const r = (((start + Math.round(t * 1e6)) % 1e6) + 1e6) % 1e6;
    return r > 5e5 ? r - 1e6 : r;
  });
}

/** What a dashcam clip carries: both cameras, the cabin's sound and the telemetry track. */
function expectDashcamTracks(file: string, start: number, seconds: number): void {
  const streams = ffprobe(file).streams;
  expect(streams.map((s) => s.codec_type)).toEqual(['video', 'video', 'audio', 'data']);
  expect(streams.map((s) => s.codec_tag_string)).toEqual(['avc1', 'avc1', 'mp4a', 'camm']);
  const errors = syncErrors(file, start);
  expect(errors.length).toBeGreaterThanOrEqual(seconds - 1);
  console.log(
    `A/V sync of ${file.split('/').pop()}: ${errors.length} clicks, largest offset ${Math.max(...errors.map(Math.abs))} µs`,
  );
  for (const e of errors) expect(Math.abs(e)).toBeLessThan(FRAME_US);
}

describe('event clips (real device + real cloud)', () => {
  const tmp = scratch();
  let dev: Awaited<ReturnType<typeof startDevice>>;
  let cloud: Awaited<ReturnType<typeof startCloud>>;
  beforeAll(async () => {
    dev = await startDevice(tmp.dir);
    cloud = await startCloud(tmp.dir);
  });
  afterAll(async () => {
    await dev.device.powerOff();
    await cloud.server.close();
    tmp.cleanup();
  });

  it('streams the drive, fetches and acks event clips, uploads them', async () => {
    const app = await openApp(tmp.dir);
    try {
      expect(app.budget().bytes).toBe(24 * 2 ** 20); // 50 % of 48 MiB
      await app.signIn(cloud.url, cloud.token);
      await app.connect(dev.url, CODE);
      await until(() => app.connected, 10_000, 'connected');
      const summary = await dev.device.run(drive(), { speed: 8, duration: '50s' });
      expect(summary.events.map((e) => e.kind)).toEqual(['hard-brake', 'collision']);
      await until(
        async () => (await app.clips()).filter((c) => c.source === 'event').length === 2,
        30_000,
        'event clips',
      );
      await app.uploaded(undefined, 30_000);
      // the device released its protections: every event acknowledged
      expect(dev.device.events.every((e) => e.acknowledged && e.protectionId === null)).toBe(true);
      const clips = (await app.clips()).filter((c) => c.source === 'event');
      for (const c of clips) {
        expect(c.local).toBe(true);
        expect(c.uploaded).toBe(true);
        expect(c.cloud?.state).toBe('ready');
        expect(c.cloud?.sha256).toBe(createHash('sha256').update(readFileSync(c.path!)).digest('hex'));
        expect(c.cloud?.tracks.map((t) => t.role).sort()).toEqual(['cabin', 'road']);
        expect(decodeErrors(c.path!)).toBe('');
        expectDashcamTracks(c.path!, c.from!, 6); // the device's own cut (3 s + 3 s)
      }
      // Time crosses device → phone → cloud to the µs: the cloud's copy of each clip starts at
      // the capture time the device recorded for that frame (the files' prft carries it).
      const cloudClient = new CloudClient(cloud.url, cloud.token);
      for (const c of clips) {
        const url = await cloudClient.videoUrl(c.id);
        const res = await fetch(url!);
        expect(res.status).toBe(200);
        const file = join(tmp.dir, `cloud-${c.id}.mp4`);
        writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        const src = await Mp4Source.open(file);
        const road = [...dev.device.store.frames({ stream: 'road', from: c.from!, to: c.from! + 1 })];
        expect(road.map((f) => f.pts)).toEqual([c.from]); // the device's own record of the first frame
        expect(src.start).toBe(c.from);
        expect(src.tracks.map((t) => t.kind)).toEqual(['video', 'video', 'audio', 'metadata']);
        src.close();
        expectDashcamTracks(file, c.from!, 6); // device → phone → cloud
      }
      // the drive streamed live into the phone's ring: both cameras, one drive
      const drives = app.drives();
      expect(drives.length).toBe(1);
      for (const s of ['road', 'cabin']) {
        const on = drives[0]!.onPhone[s]!;
        const secs = on.reduce((n, x) => n + x.to - x.from, 0) / 1e6;
        expect(secs).toBeGreaterThan(40);
      }
      // a manual clip from the phone's ring decodes
      const d = drives[0]!;
      const m = await app.clip({ from: d.from! + 10e6, to: d.from! + 16e6 });
      expect(m.source).toBe('phone');
      const path = (await app.clips()).find((c) => c.id === m.id)!.path!;
      expect(decodeErrors(path)).toBe('');
      // cut from the live stream the phone stored: the sound and the telemetry came along
      expectDashcamTracks(path, m.from!, 6);
      writeFileSync(join(tmp.dir, 'ok'), '1');
    } finally {
      await app.close();
    }
  });

  it('cabin audio switched off and on while streaming: the live stream follows without a disconnect', async () => {
    const app = await openApp(tmp.dir);
    const disconnects: string[] = [];
    app.on('disconnected', (e) => disconnects.push(e.reason));
    try {
      await app.connect(dev.url, CODE);
      const running = dev.device.run(cruise(30), { speed: 2 });
      const live = (what: string) =>
        until(
          () => app.streamState.state === 'streaming' && app.streamState.why.includes(what) && app.streamState,
          15_000,
          what,
        );
      await live('road + cabin + cabin-audio + telemetry');
      await app.setDeviceSettings({ cabinAudio: false });
      // the device stops writing the sound: the phone asks for the other streams again
      expect((await live('road + cabin + telemetry')).why).not.toContain('cabin-audio');
      await app.setDeviceSettings({ cabinAudio: true });
      await live('road + cabin + cabin-audio + telemetry');
      await running;
      expect(disconnects).toEqual([]);
    } finally {
      dev.device.updateSettings({ cabinAudio: true });
      await app.close();
    }
  });

  it("reads and changes the paired device's settings: event clip length, cabin audio, GPS rate", async () => {
    const app = await openApp(tmp.dir);
    try {
      expect(await app.deviceSettings()).toEqual({
        eventBeforeSeconds: 3,
        eventAfterSeconds: 3,
        cabinAudio: true,
        gpsHz: 10,
      });
      expect(await app.setDeviceSettings({ eventBeforeSeconds: 25, eventAfterSeconds: 15 })).toEqual({
        eventBeforeSeconds: 25,
        eventAfterSeconds: 15,
        cabinAudio: true,
        gpsHz: 10,
      });
      expect(dev.device.settings).toMatchObject({ eventBeforeSeconds: 25, eventAfterSeconds: 15 });
      await expect(app.setDeviceSettings({ gpsHz: 20 })).rejects.toThrow(
        /PATCH \/settings: 400 gpsHz is an integer from 1 to 10/,
      );
      expect(dev.device.settings.gpsHz).toBe(10);
    } finally {
      await app.close();
    }
  });
});
