/**
 * A dashcam whose road camera records with B-frames: its pictures go into internal memory in
 * decode order with their decode times, and every way footage leaves the device (an event
 * clip, the HLS of a drive, the live fMP4 the phone stores) decodes without an error, with B
 * pictures out of decode order, its first picture presented at time 0.
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

/** ffmpeg -xerror decodes every track with no error (decodeErrors, with the encoders' time base as the input's). */
function strictDecode(file: string): string {
  // A parking clip mixes 1 and 30 pictures a second, and a B-frame camera's decode times step
  // by 10 and 16.7 ms where the rate changes: ffmpeg 4.1 then guesses an output rate of 10.7
  // fps (r_frame_rate 300 is above what it trusts, so it takes the average), whose ticks are
  // too coarse for 30 fps: "non monotonically increasing dts to muxer" of the null output,
  // not of the decoder. Keeping the input's 90 kHz time base leaves only decoding to check.
  return decodeErrors(file, [], ['-enc_time_base', '-1']);
}

/**
 * The road track of an MP4: no decode error, B pictures, presentation order differing from
 * decode order; returns the road track's packets.
 */
function expectReorderedRoad(file: string, mixedRates = false): Packet[] {
  expect(mixedRates ? strictDecode(file) : decodeErrors(file)).toBe('');
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

  it('the HLS of the closed drive and of the drive being recorded (init + every segment) decodes; the first picture is shown at 0, at its capture time', async () => {
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
      // HLS decode times start at 0 (tfdt has no negative values): the drive's first key frame
      // is decoded when it is shown, so it is shown at 0, and PROGRAM-DATE-TIME is its capture
      // time. Drive 2 holds none of drive 1's cabin audio, whose last frames lie just before
      // it in the ring (months earlier on this clock).
      expect(Math.min(...packets.map((p) => Number(p.pts_time)))).toBe(0);
      const first = cam.store.info().drives.find((d) => d.id === drive)!.first!;
      // Each track starts where its first sample of the drive lies after the drive's first
      // moment (drive 2's microphone a few ms after its camera), nothing of it earlier.
      for (const st of ffprobe(file).streams) {
        const stream = st.tags!.handler_name!;
        const [sample] = cam.store.frames({ stream, from: first, to: first + 1e6 });
        expect(Number(st.start_time), stream).toBeCloseTo((sample!.pts - first) / 1e6, 5);
      }
      expect(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(playlist)![1]).toBe(
        new Date(Math.floor(first / 1000)).toISOString(),
      );
    }
  });

  it('parked: the timelapse has no B pictures (dts = pts), full rate after a bump has them again; the parking clip decodes', async () => {
    const device = new Dashcam(
      smallDevice(join(tmp.dir, 'parked'), {
        cameras: [
          { name: 'road', width: 320, height: 180, fps: 30, bFrames: 1 },
          { name: 'cabin', width: 160, height: 96, fps: 15, bFrames: 1 },
        ],
      }),
    );
    await device.powerOn();
    try {
      const summary = await device.run(loadScenario('parked-bump'), { speed: Infinity });
      const e = summary.events[0]!;
      expect(e.kind).toBe('parking-bump');
      const before = [...device.store.frames({ stream: 'road', from: e.from, to: e.time })];
      const after = [...device.store.frames({ stream: 'road', from: e.time + 1e6, to: e.to })];
      expect(before.length).toBeGreaterThanOrEqual(4);
      expect(before.every((f) => f.dts === f.pts)).toBe(true);
      expect(after.some((f) => f.dts < f.pts)).toBe(true);
      const clip = device.store.clip({ from: e.from, to: e.to });
      const file = join(tmp.dir, 'parked.mp4');
      await clip.writeMP4(file);
      clip.release();
      const packets = expectReorderedRoad(file, true);
      // (the timelapse pictures before the clip's window, kept for decoding, come out before 0)
      expect(Math.min(...packets.map((p) => Number(p.pts_time)).filter((t) => t >= 0))).toBe(0);
    } finally {
      await device.powerOff();
    }
  });

  it('internal memory held full by a reader: the pictures after a lost one go too, up to a key frame; what is stored decodes', async () => {
    const device = new Dashcam(
      smallDevice(join(tmp.dir, 'full'), {
        memory: { capacity: '8MiB', segmentSize: '1MiB', protectCap: 0.5 },
        cameras: [
          { name: 'road', width: 320, height: 180, fps: 30, bFrames: 1 },
          { name: 'cabin', width: 160, height: 96, fps: 15, bFrames: 1 },
        ],
      }),
    );
    const cruise = (duration: number) => ({
      name: 'cruise',
      duration,
      steps: [{ at: 0, type: 'speed' as const, to: 50, accel: 0.2 }],
    });
    await device.powerOn();
    try {
      // Round the ring once, then a clip of all it holds pins every segment: nothing can be written.
      await device.run(cruise(90), { speed: Infinity });
      expect(device.store.info().overwrittenFrames).toBeGreaterThan(0);
      const oldest = Math.min(...device.store.info().streams.map((s) => s.first ?? Infinity));
      const pin = device.store.clip({ from: oldest, to: device.now() });
      const full = await device.run(cruise(10), { speed: Infinity });
      pin.release();
      expect(full.dropped).toBeGreaterThan(100);
      const lostFrom = device.store.lastDts('road')!;
      const after = await device.run(cruise(4), { speed: Infinity });
      expect(after.dropped).toBe(0);
      // The first picture stored after the loss is a key frame, and the footage across the gap decodes.
      // (frames() selects by pts: a reference picture decoded before the loss may be shown after it)
      const next = [...device.store.frames({ stream: 'road', from: lostFrom, to: device.now() })].filter(
        (f) => f.dts > lostFrom,
      );
      expect(next[0]!.randomAccess).toBe('idr');
      // Every stored B picture (nal_ref_idc 0) follows, in decode order, the reference picture
      // shown after it: none lost its anchor (a B picture whose P was lost is not stored).
      const all = [...device.store.frames({ stream: 'road', from: lostFrom - 3e6, to: device.now() })].map((f) => ({
        dts: f.dts,
        pts: f.pts,
        ref: (f.payload[4]! & 0x60) !== 0,
      }));
      all.sort((x, y) => x.dts - y.dts);
      const bs = all.filter((f, i) => !f.ref && i > 0);
      expect(bs.length).toBeGreaterThan(30);
      for (const f of bs) {
        const before = all[all.indexOf(f) - 1]!;
        expect(before.ref && before.pts > f.pts, `B picture at ${f.pts - lostFrom}`).toBe(true);
      }
      const clip = device.store.clip({ from: lostFrom - 1.5e6, to: device.now() });
      const file = join(tmp.dir, 'full.mp4');
      await clip.writeMP4(file);
      clip.release();
      expectReorderedRoad(file);
    } finally {
      await device.powerOff();
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
