/**
 * Streams of more than one kind: AAC audio and camm telemetry stored beside H.264 in one
 * store, on one clock, and carried by every MP4 the engine writes. Checked by real tools:
 * ffprobe sees the tracks, ffmpeg decodes them, exiftool reads the GPS, and the audio's
 * clicks land on the whole seconds of the video they were recorded with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidDataError,
  Mp4Source,
  SegmentStore,
  decodeCamm,
  parseAdts,
} from '../lib/index.js';
import { readMp4Structure } from './helpers/mp4-structure.js';
import { T0 } from './helpers/store.js';
import {
  FIXTURES,
  audioClicks,
  decodeErrors,
  ffmpegPath,
  ffprobe,
  fixture,
  run,
  splitAccessUnits,
  tempDir,
} from './helpers/tools.js';

const tmp = tempDir('ringclip-timed-');
afterAll(() => {
  if (!process.env.KEEP_TMP) tmp.cleanup();
});

const RATE = 48000;
const FRAME_US = (1024 * 1e6) / RATE;
const SECONDS = 10;

/**
 * 12 s of 48 kHz mono AAC-LC as ADTS: a low hum with a 5 ms click at every whole second.
 * ffmpeg's encoder delays its output by one frame (priming), so frame k presents source
 * time (k - 1) · 1024 / 48000 s: the writer below times it so.
 */
function clickTrack(): Buffer {
  const out = join(tmp.dir, 'clicks.aac');
  const expr = 'if(lt(mod(t\\,1)\\,0.005)\\,0.9*sin(2*PI*2000*t)\\,0.02*sin(2*PI*150*t))';
  const r = run(ffmpegPath, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=${expr}:s=${RATE}:d=12`,
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-f',
    'adts',
    '-y',
    out,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make the click track: ${r.stderr}`);
  return readFileSync(out);
}

/** One camm packet (little-endian): type 3 acceleration, or type 6 GPS. */
function cammAcceleration(x: number, y: number, z: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(0, 0);
  b.writeUInt16LE(3, 2);
  b.writeFloatLE(x, 4);
  b.writeFloatLE(y, 8);
  b.writeFloatLE(z, 12);
  return b;
}
function cammGps(timeUs: number, lat: number, lon: number, alt: number, east: number, north: number): Buffer {
  const b = Buffer.alloc(60);
  b.writeUInt16LE(0, 0);
  b.writeUInt16LE(6, 2);
  b.writeDoubleLE(timeUs / 1e6 - 315964800 + 18, 4); // GPS epoch seconds (leap seconds: 18)
  b.writeInt32LE(3, 12); // 3D fix
  b.writeDoubleLE(lat, 16);
  b.writeDoubleLE(lon, 24);
  b.writeFloatLE(alt, 32);
  b.writeFloatLE(3, 36); // horizontal accuracy (m)
  b.writeFloatLE(5, 40); // vertical accuracy (m)
  b.writeFloatLE(east, 44);
  b.writeFloatLE(north, 48);
  b.writeFloatLE(0, 52);
  b.writeFloatLE(0.5, 56); // speed accuracy (m/s)
  return b;
}
const LAT0 = 32.0853;
const LON0 = 34.7818;
const latAt = (s: number) => LAT0 + s * 1e-4;

let store: SegmentStore;
let adtsFrames = 0;

beforeAll(async () => {
  store = await SegmentStore.create(join(tmp.dir, 'cam.ring'), {
    capacity: '64MiB',
    segmentSize: '4MiB',
    streams: ['road', { name: 'cabin-audio', kind: 'audio' }, { name: 'telemetry', kind: 'metadata' }],
  });
  const video = splitAccessUnits(fixture(FIXTURES.road));
  const adts = parseAdts(clickTrack());
  adtsFrames = adts.frames.length;
  // Interleaved by time, as a device writes them.
  const events: Array<{ t: number; write: () => void }> = [];
  video.forEach((unit, i) =>
    events.push({
      t: T0 + Math.round((i * 1e6) / 30),
      write: () => store.write('road', unit, { pts: T0 + Math.round((i * 1e6) / 30) }),
    }),
  );
  adts.frames.forEach((frame, k) => {
    const t = T0 + Math.round((k - 1) * FRAME_US);
    if (t < T0 || t >= T0 + SECONDS * 1e6) return;
    events.push({
      t,
      write: () => {
        store.writeAudio('cabin-audio', frame, { pts: t, config: adts.config });
      },
    });
  });
  for (let k = 0; k < SECONDS * 100; k++) {
    const t = T0 + k * 10_000 + 5_000;
    events.push({
      t,
      write: () => {
        store.writeMetadata('telemetry', cammAcceleration(0.1, -9.81, k === 500 ? -7.5 : 0.2), {
          pts: t,
          format: 'camm',
        });
      },
    });
  }
  for (let k = 0; k < SECONDS * 10; k++) {
    const t = T0 + k * 100_000;
    events.push({
      t,
      write: () => {
        store.writeMetadata('telemetry', cammGps(t, latAt(k / 10), LON0, 42, 0, 11.1), { pts: t, format: 'camm' });
      },
    });
  }
  events.sort((a, b) => a.t - b.t);
  for (const e of events) e.write();
});
afterAll(async () => {
  await store?.close();
});

const clickTimes = (file: string): number[] => audioClicks(file, RATE);

describe('a store of video, audio and telemetry', () => {
  it('knows its kinds and codecs, and keeps them across a reopen', async () => {
    expect(store.streamKinds).toEqual({ road: 'video', 'cabin-audio': 'audio', telemetry: 'metadata' });
    const info = store.info();
    const audio = info.streams.find((s) => s.name === 'cabin-audio')!;
    expect(audio).toMatchObject({ kind: 'audio', codec: 'mp4a.40.2', sampleRate: 48000, channels: 1 });
    expect(audio.frames).toBe(Math.floor((SECONDS * 1e6) / FRAME_US) + 1);
    expect(info.streams.find((s) => s.name === 'telemetry')).toMatchObject({
      kind: 'metadata',
      codec: 'camm',
      frames: SECONDS * 110,
    });
    expect(adtsFrames).toBeGreaterThan(SECONDS * 46);
    const reader = await SegmentStore.open(store.path, { readOnly: true });
    try {
      expect(reader.streamKinds).toEqual(store.streamKinds);
      expect(reader.info().streams.map((s) => [s.name, s.kind, s.codec, s.frames])).toEqual(
        info.streams.map((s) => [s.name, s.kind, s.codec, s.frames]),
      );
    } finally {
      await reader.close();
    }
  });

  it('refuses what does not fit a stream, leaving it unchanged', () => {
    const before = store.info().streams.map((s) => s.frames);
    expect(() => store.write('cabin-audio', fixture(FIXTURES.road).subarray(0, 100), { pts: T0 + 20e6 })).toThrow(
      /records audio.*writeAudio/,
    );
    expect(() =>
      store.writeAudio('road', Buffer.from([1, 2, 3]), { pts: T0 + 20e6, config: Buffer.from([0x11, 0x88]) }),
    ).toThrow(/records video/);
    expect(() => store.writeAudio('cabin-audio', Buffer.from('not adts at all'), { pts: T0 + 20e6 })).toThrow(
      InvalidDataError,
    );
    expect(() => store.writeAudio('cabin-audio', Buffer.from('not adts at all'), { pts: T0 + 20e6 })).toThrow(
      /no ADTS sync word/,
    );
    expect(() =>
      store.writeAudio('cabin-audio', Buffer.from([1, 2]), { pts: T0 + 20e6, config: Buffer.from([0x41, 0x88]) }),
    ).toThrow(/not AAC/);
    expect(() =>
      store.writeAudio('cabin-audio', Buffer.from([1, 2]), { pts: T0, config: Buffer.from([0x11, 0x88]) }),
    ).toThrow(/go backwards/);
    expect(() =>
      store.writeMetadata('telemetry', cammAcceleration(0, 0, 0), { pts: T0 + 20e6, format: 'cam' }),
    ).toThrow(InvalidArgumentError);
    expect(() => store.writeMetadata('telemetry', Buffer.alloc(0), { pts: T0 + 20e6, format: 'camm' })).toThrow(
      /empty sample/,
    );
    expect(() => store.createWriteStream('telemetry')).toThrow(/records metadata/);
    expect(store.info().streams.map((s) => s.frames)).toEqual(before);
  });
});

describe('clips carry audio and telemetry in sync', () => {
  const from = T0 + 2_500_000;
  const to = T0 + 7_500_000;

  for (const exact of [false, true]) {
    it(`${exact ? 'an exact' : 'a key-frame'} cut: ffprobe sees the tracks, ffmpeg decodes them, the clicks land on the video's seconds`, async () => {
      const clip = store.clip({
        from,
        to,
        streams: ['road', 'cabin-audio', 'telemetry'],
        align: exact ? 'exact' : 'keyframe',
      });
      try {
        expect(clip.tracks.map((t) => [t.name, t.kind])).toEqual([
          ['road', 'video'],
          ['cabin-audio', 'audio'],
          ['telemetry', 'metadata'],
        ]);
        const file = join(tmp.dir, `clip-${exact}.mp4`);
        await clip.writeMP4(file);
        const probe = ffprobe(file);
        expect(probe.streams.map((s) => (s as unknown as { codec_type: string }).codec_type)).toEqual([
          'video',
          'audio',
          'data',
        ]);
        const data = probe.streams[2] as unknown as { codec_type: string; codec_tag_string: string };
        expect(data.codec_type).toBe('data');
        expect(data.codec_tag_string).toBe('camm');
        expect(probe.streams[1]).toMatchObject({ sample_rate: '48000', channels: 1 });
        expect(decodeErrors(file)).toBe('');
        // The clip presents from the key frame at 2 s (or exactly 2.5 s): each click, recorded
        // at a whole second, must sound within one video frame of that second in the clip.
        const start = exact ? 2.5 : 2;
        const expected = [3, 4, 5, 6, 7].map((s) => s - start);
        const clicks = clickTimes(file).filter((t) => t > 0.1);
        expect(clicks.length).toBe(expected.length);
        clicks.forEach((t, i) => expect(Math.abs(t - expected[i]!)).toBeLessThan(1 / 30));
      } finally {
        clip.release();
      }
    });
  }

  it('exiftool reads the GPS fixes of the clip (camm type 6), the ones of its span', async () => {
    const clip = store.clip({ from, to, streams: ['road', 'cabin-audio', 'telemetry'] });
    const file = join(tmp.dir, 'gps.mp4');
    try {
      await clip.writeMP4(file);
    } finally {
      clip.release();
    }
    const r = run('exiftool', ['-ee', '-n', '-j', '-G3', '-GPSLatitude', '-GPSVelocityNorth', '-Acceleration', file]);
    expect(r.status, r.stderr).toBe(0);
    const tags = Object.entries((JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!);
    const values = (name: string) => tags.filter(([k]) => k.endsWith(`:${name}`)).map(([, v]) => v);
    const lats = values('GPSLatitude') as number[];
    expect(values('GPSVelocityNorth').every((v) => Math.abs((v as number) - 11.1) < 1e-3)).toBe(true);
    // The hard brake at 5.005 s is in the G-sensor trace exiftool reads.
    expect(values('Acceleration').some((v) => String(v).endsWith(' -7.5'))).toBe(true);
    // The clip spans 2 s (the key frame) to 7.5 s: a fix every 100 ms, 2.0 to 7.4 s.
    expect(lats.length).toBe(55);
    expect(Math.min(...lats)).toBeCloseTo(latAt(2), 6);
    expect(Math.max(...lats)).toBeCloseTo(latAt(7.4), 6);
  });

  it('fragmented and virtual outputs carry the three tracks; an Mp4Source reads and cuts them again', async () => {
    const clip = store.clip({ from, to, streams: ['road', 'cabin-audio', 'telemetry'] });
    const fragmented = join(tmp.dir, 'clip.fmp4.mp4');
    const progressive = join(tmp.dir, 'clip-again.mp4');
    try {
      await clip.writeMP4(fragmented, { fragmented: true });
      await clip.writeMP4(progressive);
    } finally {
      clip.release();
    }
    expect(
      ffprobe(fragmented).streams.map((s) => (s as unknown as { codec_tag_string: string }).codec_tag_string),
    ).toEqual(['avc1', 'mp4a', 'camm']);
    expect(decodeErrors(fragmented)).toBe('');
    // A fragment per GOP of video, per second of audio and telemetry: not one per sample.
    const moofs = readMp4Structure(fragmented).top.filter((t) => t === 'moof').length;
    expect(moofs).toBeGreaterThanOrEqual(6 * 3);
    expect(moofs).toBeLessThanOrEqual(7 * 3);
    const source = await Mp4Source.open(progressive);
    try {
      expect(source.tracks.map((t) => [t.name, t.kind, t.codec])).toEqual([
        ['road', 'video', 'avc1.640028'],
        ['cabin-audio', 'audio', 'mp4a.40.2'],
        ['telemetry', 'metadata', 'camm'],
      ]);
      // A viewer reads the camm packets without parsing the container: every one of the
      // clip's span, or those of a range, each one decodable.
      const all = source.samples('telemetry');
      const some = source.samples('telemetry', { from: T0 + 3_000_000, to: T0 + 4_000_000 });
      expect(all.length).toBeGreaterThan(some.length);
      expect(some.length).toBeGreaterThan(0);
      expect(some.every((s) => s.pts >= T0 + 3_000_000 && s.pts < T0 + 4_000_000)).toBe(true);
      expect(() => decodeCamm(some[0]!.data)).not.toThrow();
      expect(() => source.samples('nope')).toThrow(
        /the MP4 has no track 'nope': it has 'road', 'cabin-audio', 'telemetry'/,
      );
      // The cloud's trim: 3 s to 6 s of the clip, every track again.
      const trim = source.clip({ from: T0 + 3_000_000, to: T0 + 6_000_000, align: 'exact' });
      const file = join(tmp.dir, 'trim.mp4');
      try {
        await trim.writeMP4(file);
      } finally {
        trim.release();
      }
      expect(ffprobe(file).streams.map((s) => (s as unknown as { codec_tag_string: string }).codec_tag_string)).toEqual(
        ['avc1', 'mp4a', 'camm'],
      );
      expect(decodeErrors(file)).toBe('');
      // ffmpeg plays the last AAC frame whole (past the edit's end): the click at 6 s is
      // at the very end, and left out here.
      const clicks = clickTimes(file).filter((t) => t > 0.1 && t < 2.95);
      expect(clicks.length).toBe(2);
      clicks.forEach((t, i) => expect(Math.abs(t - (i + 1))).toBeLessThan(1 / 30));
    } finally {
      source.close();
    }
  });

  it('a muted cabin does not stop the video from being clipped: the empty stream is listed', async () => {
    const quiet = await SegmentStore.create(join(tmp.dir, 'quiet.ring'), {
      capacity: '16MiB',
      segmentSize: '2MiB',
      streams: ['road', { name: 'cabin-audio', kind: 'audio' }],
    });
    try {
      splitAccessUnits(fixture(FIXTURES.road)).forEach((unit, i) =>
        quiet.write('road', unit, { pts: T0 + Math.round((i * 1e6) / 30) }),
      );
      const clip = quiet.clip({ from: T0 + 1e6, to: T0 + 3e6, streams: ['road', 'cabin-audio'] });
      try {
        expect(clip.tracks.map((t) => t.name)).toEqual(['road']);
        expect(clip.partial).toBe(false);
        expect(clip.empty).toEqual([
          { stream: 'cabin-audio', reason: expect.stringMatching(/no audio of 'cabin-audio'/) },
        ]);
      } finally {
        clip.release();
      }
    } finally {
      await quiet.close();
    }
  });
});

it('an ADTS chunk is written frame by frame, a frame apart', async () => {
  const s = await SegmentStore.create(join(tmp.dir, 'adts.ring'), {
    capacity: '8MiB',
    segmentSize: '2MiB',
    streams: ['road', { name: 'mic', kind: 'audio' }],
  });
  try {
    const adts = clickTrack();
    const parsed = parseAdts(adts);
    expect(parsed).toMatchObject({ sampleRate: 48000, channels: 1, frameSamples: 1024 });
    expect(s.writeAudio('mic', adts, { pts: T0 })).toBe(parsed.frames.length);
    const info = s.info().streams[1]!;
    expect(info.frames).toBe(parsed.frames.length);
    expect(info.last! - info.first!).toBe(Math.round(((parsed.frames.length - 1) * 1024 * 1e6) / 48000));
  } finally {
    await s.close();
  }
});

it("a drive's clip holds none of the previous drive's audio or telemetry, however close their records lie", async () => {
  // Two drives an hour apart: the ring has no gap between them (records follow each other),
  // the clock does. A clip from the second drive's first moment must not take the first
  // drive's last audio frame as the one covering that moment, nor as the decoder's pre-roll.
  const s = await SegmentStore.create(join(tmp.dir, 'drives.ring'), {
    capacity: '32MiB',
    segmentSize: '2MiB',
    streams: ['road', { name: 'cabin-audio', kind: 'audio' }, { name: 'telemetry', kind: 'metadata' }],
  });
  try {
    const video = splitAccessUnits(fixture(FIXTURES.road)).slice(0, 90); // 3 s, key frame each second
    const adts = parseAdts(clickTrack());
    const drive = (start: number) => {
      const events: Array<{ t: number; write: () => void }> = [];
      video.forEach((unit, i) => {
        const t = start + Math.round((i * 1e6) / 30);
        events.push({ t, write: () => s.write('road', unit, { pts: t }) });
      });
      for (let k = 0; k * FRAME_US < 3e6; k++) {
        const t = start + Math.round(k * FRAME_US);
        events.push({ t, write: () => s.writeAudio('cabin-audio', adts.frames[k]!, { pts: t, config: adts.config }) });
      }
      for (let k = 0; k < 30; k++) {
        const t = start + k * 100_000;
        events.push({
          t,
          write: () =>
            s.writeMetadata('telemetry', cammGps(t, latAt(k / 10), LON0, 42, 0, 11.1), { pts: t, format: 'camm' }),
        });
      }
      events.sort((a, b) => a.t - b.t);
      for (const e of events) e.write();
    };
    const second = T0 + 3600e6;
    drive(T0);
    drive(second);
    const clip = s.clip({ from: second, to: second + 2e6 });
    try {
      const byName = Object.fromEntries(clip.tracks.map((t) => [t.name, t]));
      expect(byName['road']!.first).toBe(second);
      expect(byName['cabin-audio']!.first).toBe(second);
      expect(byName['telemetry']!.first).toBe(second);
      // 2 s of 1024-sample frames at 48 kHz, and nothing an hour older (no pre-roll across drives).
      expect(byName['cabin-audio']!.samples).toBe(Math.ceil(2e6 / FRAME_US));
      const path = join(tmp.dir, 'second-drive.mp4');
      await clip.writeMP4(path);
      const streams = ffprobe(path).streams as Array<{ codec_type: string; duration?: string }>;
      // Every track presents the 2 s asked for, none from the drive an hour before.
      for (const st of streams) expect(Number(st.duration), st.codec_type).toBe(2);
      // The HLS rendition (no edit lists): its time 0 is the drive's first moment.
      const hls = clip.toHls();
      try {
        expect(hls.origin).toBe(second);
        expect(hls.segments.reduce((sum, g) => sum + g.duration, 0)).toBe(2e6);
      } finally {
        hls.release();
      }
    } finally {
      clip.release();
    }
  } finally {
    await s.close();
  }
});
