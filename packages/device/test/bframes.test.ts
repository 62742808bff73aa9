/**
 * A dashcam whose road camera records with B-frames: its pictures go into internal memory in
 * decode order with their decode times, and every way footage leaves the device (an event
 * clip, the HLS of a drive, the live fMP4 the phone stores) decodes without an error, with B
 * pictures out of decode order, its first picture presented at time 0 — in HLS at the
 * reorder delay, one frame: its decode times start at 0 (docs/MP4.md, HLS).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentStore } from 'ringclip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashcam, loadScenario } from '../src/index.js';
import { decodeErrors, ffprobe, ffprobePath, run, scratch, smallDevice, T0 } from './helpers.js';

const tmp = scratch();
let cam: Dashcam;
let base: string;
let token: string;
const iso = (us: number) => new Date(us / 1000).toISOString();

beforeAll(async () => {
  cam = new Dashcam(
    smallDevice(join(tmp.dir, 'device'), {
      cameras: [
        { name: 'road', width: 320, height: 180, fps: 30, bFrames: 1 },
        { name: 'cabin', width: 160, height: 96, fps: 15 },
      ],
    }),
  );
  // A closed drive (1), then the drive being recorded (2).
  await cam.powerOn();
  await cam.run(loadScenario('hard-brake-collision'), { speed: Infinity, duration: 12 });
  await cam.powerOff();
  await cam.powerOn();
  await cam.run(loadScenario('commute'), { speed: Infinity, duration: 4 });
  base = (await cam.startServer({ port: 0 })).url;
  token = (
    await (
      await fetch(`${base}/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: '424242' }),
      })
    ).json()
  ).token;
});
afterAll(async () => {
  await cam?.powerOff();
  tmp.cleanup();
});

const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

interface Packet {
  stream_index: number;
  pts_time: string;
  dts_time: string;
}

/**
 * The road track of an MP4: no decode error, B pictures, presentation order differing from
 * decode order; returns the road track's packets.
 */
function expectReorderedRoad(file: string): Packet[] {
  expect(decodeErrors(file)).toBe('');
  const probe = ffprobe(file);
  const road = probe.streams.find((s) => s.tags?.handler_name === 'road')!;
  expect((road as unknown as { profile: string }).profile).toBe('Main');
  const packets = (
    JSON.parse(
      run(ffprobePath, ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,dts_time', '-of', 'json', file])
        .stdout,
    ).packets as Packet[]
  ).filter((p) => p.stream_index === road.index);
  const pts = packets.map((p) => Number(p.pts_time)),
    dts = packets.map((p) => Number(p.dts_time));
  for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
  expect(pts.some((t, i) => i > 0 && t < pts[i - 1]!)).toBe(true);
  const types = run(ffprobePath, [
    '-v',
    'error',
    '-select_streams',
    String(road.index),
    '-show_entries',
    'frame=pict_type',
    '-of',
    'csv=p=0',
    file,
  ]).stdout;
  expect(types.match(/B/g)?.length ?? 0).toBeGreaterThan(packets.length / 3);
  expect(types.match(/I/g)?.length ?? 0).toBeGreaterThan(0);
  return packets;
}

describe('a dashcam with a B-frame road camera', () => {
  it('an event clip from the Wi-Fi API: B pictures out of decode order, no decode error, presented from 0', async () => {
    const event = await (
      await fetch(`${base}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: iso(T0 + 2.5e6), to: iso(T0 + 8e6) }),
      })
    ).json();
    const r = await get(`/events/${event.id}/clip`);
    expect(r.status).toBe(200);
    const file = join(tmp.dir, 'event.mp4');
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    const packets = expectReorderedRoad(file);
    expect(Math.min(...packets.map((p) => Number(p.pts_time)))).toBe(0);
    // Every track starts at 0, the road's B-frame key frame too (its edit list starts at its pts).
    for (const s of ffprobe(file).streams) expect(Number(s.start_time), s.tags?.handler_name).toBe(0);
  });

  it('the HLS of the closed drive and of the drive being recorded (init + every segment) decodes; its first picture is shown one frame in, at its capture time', async () => {
    for (const drive of [1, 2]) {
      const playlist = await (await get(`/drives/${drive}/hls/road.m3u8?access_token=${token}`)).text();
      const uris = [
        /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!,
        ...playlist.split('\n').filter((l) => /\.m4s\?/.test(l)),
      ];
      expect(uris.length).toBeGreaterThan(2);
      const parts = await Promise.all(
        uris.map(async (u) => Buffer.from(await (await get(`/drives/${drive}/hls/${u}`)).arrayBuffer())),
      );
      const file = join(tmp.dir, `hls-${drive}.mp4`);
      writeFileSync(file, Buffer.concat(parts));
      const packets = expectReorderedRoad(file);
      // Drive 2's times are left out: its rendition starts with the cabin microphone's last
      // frames of drive 1 (months earlier on this clock), an engine issue without B-frames too.
      if (drive === 2) continue;
      // HLS decode times start at 0 (tfdt has no negative values), so the first key frame,
      // decoded a frame before it is shown, is shown at 1/30 s: PROGRAM-DATE-TIME is the
      // capture time of media time 0, a frame before the drive's first picture.
      const first = Math.min(...packets.map((p) => Number(p.pts_time)));
      expect(first).toBeCloseTo(1 / 30, 6);
      const pdt = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(playlist)![1]!) * 1000;
      expect(Math.abs(pdt + first * 1e6 - T0)).toBeLessThan(1000);
    }
  });

  it('the live fMP4 while recording, stored the way the phone stores it, gives the same reordered pictures', async () => {
    const recording = cam.run(loadScenario('commute'), { speed: 4, duration: 4 });
    const r = await get('/live?stream=road');
    expect(r.status).toBe(200);
    const chunks: Buffer[] = [];
    const reader = r.body!.getReader();
    let done = false;
    void recording.then(() => (done = true));
    while (!done) {
      const next = await Promise.race([reader.read(), recording.then(() => null)]);
      if (!next || next.done) break;
      chunks.push(Buffer.from(next.value));
    }
    await reader.cancel();
    await recording;
    const phone = await SegmentStore.create(join(tmp.dir, 'phone.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    try {
      const ingest = phone.createFragmentedIngest();
      ingest.push(Buffer.concat(chunks));
      const stored = ingest.stats.tracks[0]!;
      expect(stored.dropped).toBe(0);
      expect(stored.stored).toBeGreaterThan(30);
      const { first, last } = phone.info().streams[0]!;
      const clip = phone.clip({ from: first!, to: last! + 1 });
      const file = join(tmp.dir, 'phone.mp4');
      await clip.writeMP4(file);
      clip.release();
      const packets = expectReorderedRoad(file);
      expect(Math.min(...packets.map((p) => Number(p.pts_time)))).toBe(0);
    } finally {
      await phone.close();
    }
  });
});
