/**
 * The synthetic encoder, checked by a real decoder: ffmpeg decodes its output without an
 * error, and — I_PCM being lossless — every decoded frame equals the rendered one, bit for bit.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseAnnexB } from 'ringclip';
import { afterAll, describe, expect, it } from 'vitest';
import { BitWriter } from '../src/h264/bitwriter.js';
import { NAL, writeNal } from '../src/h264/nal.js';
import { createCamera, SyntheticCamera, SyntheticH264Encoder, YuvFrame, type Picture, fillRect } from '../src/index.js';
import { decodeErrors, ffmpegPath, ffprobe, ffprobePath, scratch, T0 } from './helpers.js';

/** The slice type of an access unit's first slice (P or B; I is an IDR here). */
function sliceType(au: Buffer): 'P' | 'B' | 'I' {
  const unit = au;
  const header = unit.indexOf(Buffer.from([0, 0, 1])) + 3;
  // first_mb_in_slice is ue(0) = '1', then slice_type ue: '1' 0 (P), '010' 1 (B), '011' 2 (I),
  // '00110' 5, '00111' 6, '0001000' 7.
  const bits = [...unit.subarray(header + 1, header + 3)].map((b) => b.toString(2).padStart(8, '0')).join('');
  const m = /^1(0*)1/.exec(bits)!;
  const n = parseInt(bits.slice(1 + m[1]!.length, 2 + 2 * m[1]!.length), 2) - 1;
  return (['P', 'B', 'I'] as const)[n % 5]!;
}

const tmp = scratch();
afterAll(() => tmp.cleanup());

function unescape(nal: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (
      i >= 2 &&
      nal[i] === 3 &&
      nal[i - 1] === 0 &&
      nal[i - 2] === 0 &&
      out.length >= 2 &&
      out[out.length - 1] === 0 &&
      out[out.length - 2] === 0
    )
      continue;
    out.push(nal[i]!);
  }
  return Buffer.from(out);
}

/**
 * Records `n` pictures of a synthetic camera (`keyframeAt`: requestKeyframe() before those
 * captures); returns the stream, the rendered frames (capture order) and the pictures
 * (decode order, the held one flushed at the end).
 */
function record(
  cam: SyntheticCamera,
  n: number,
  speedKmh = 50,
  keyframeAt: number[] = [],
): { file: string; rendered: Buffer[]; sizes: number[]; pictures: Picture[] } {
  cam.start(T0);
  const pictures: Picture[] = [],
    rendered: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (keyframeAt.includes(i)) cam.requestKeyframe();
    pictures.push(...cam.capture({ distanceM: (i * speedKmh) / 3.6 / cam.fps, speedKmh }));
    rendered.push(cam.scene.frame.displayed());
  }
  pictures.push(...cam.flush());
  const file = `${tmp.dir}/${cam.name}-${cam.width}x${cam.height}-b${cam.encoder.options.bFrames ?? 0}.h264`;
  writeFileSync(file, Buffer.concat(pictures.map((p) => p.data)));
  return { file, rendered, sizes: pictures.map((p) => p.data.length), pictures };
}

function decodeRaw(file: string): Buffer {
  // passthrough: one output frame per decoded picture, whatever timestamps the raw stream gets.
  const r = spawnSync(
    ffmpegPath,
    ['-v', 'error', '-xerror', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
    { maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout;
}

describe('synthetic H.264 encoder', () => {
  it('emulation prevention: 00 00 0x (x <= 3) never appears in a NAL unit, and removing it gives the RBSP back', () => {
    const rbsp = Buffer.from([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 0, 7, 0, 0, 0x80]);
    const out = Buffer.alloc(100);
    const end = writeNal(out, 0, 3, NAL.SLICE, rbsp);
    const payload = out.subarray(5, end);
    for (let i = 0; i + 2 < payload.length; i++)
      expect(payload[i] === 0 && payload[i + 1] === 0 && payload[i + 2]! <= 3 && payload[i + 2] !== 3).toBe(false);
    expect(unescape(payload)).toEqual(rbsp);
  });

  it('Exp-Golomb codes', () => {
    const b = new BitWriter(16);
    b.ue(0);
    b.ue(1);
    b.ue(2);
    b.ue(25);
    b.se(-1);
    b.trailing();
    // 1 | 010 | 011 | 000011010 | 011 | 1 + pad
    expect([...b.bytes()].map((x) => x.toString(2).padStart(8, '0')).join('')).toBe(
      '1' + '010' + '011' + '000011010' + '011' + '1' + '0000',
    );
  });

  it('decoded frames equal the rendered frames, bit for bit (road 320x180: cropped height, 2 GOPs)', () => {
    const cam = new SyntheticCamera('road', { width: 320, height: 180, fps: 30, gopSeconds: 1, scene: 'road' });
    const { file, rendered } = record(cam, 75);
    expect(decodeErrors(file)).toBe('');
    const raw = decodeRaw(file);
    const frame = rendered[0]!.length;
    expect(raw.length).toBe(frame * 75);
    for (let i = 0; i < 75; i++)
      expect(raw.subarray(i * frame, (i + 1) * frame).equals(rendered[i]!), `frame ${i}`).toBe(true);
  });

  /** Checks a camera's decode-order pictures: times, and ffmpeg's decode against the rendered frames. */
  function expectExact(file: string, rendered: Buffer[], pictures: Picture[]): void {
    expect(decodeErrors(file)).toBe('');
    const raw = decodeRaw(file);
    const frame = rendered[0]!.length;
    expect(raw.length).toBe(frame * rendered.length);
    for (let i = 0; i < rendered.length; i++)
      expect(raw.subarray(i * frame, (i + 1) * frame).equals(rendered[i]!), `frame ${i}`).toBe(true);
    // Every capture once; decode times strictly increase and never come after capture times.
    expect(pictures.length).toBe(rendered.length);
    for (let i = 1; i < pictures.length; i++) expect(pictures[i]!.dts).toBeGreaterThan(pictures[i - 1]!.dts);
    for (const p of pictures) expect(p.dts).toBeLessThanOrEqual(p.pts);
    const pts = pictures.map((p) => p.pts);
    expect(new Set(pts).size).toBe(pts.length);
  }

  /** ffprobe's picture types in presentation order. */
  function pictTypes(file: string): string {
    const r = spawnSync(ffprobePath, ['-v', 'error', '-show_entries', 'frame=pict_type', '-of', 'csv=p=0', file]);
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return r.stdout.toString().replace(/[\s,]/g, '');
  }

  it('with B-frames: Main profile, B pictures out of decode order, decoded frames equal the rendered ones (320x180, 2.5 GOPs, a key frame requested after a held picture)', () => {
    const cam = new SyntheticCamera('road', {
      width: 320,
      height: 180,
      fps: 30,
      gopSeconds: 1,
      scene: 'road',
      bFrames: 1,
    });
    // Capture 39 is held for a B picture when capture 40 must be a key frame: it is coded as P
    // first. Capture 75 is held at the end: flush() codes it as P.
    const { file, rendered, pictures } = record(cam, 76, 50, [40]);
    expectExact(file, rendered, pictures);
    const probe = ffprobe(file).streams[0]!;
    expect((probe as unknown as { profile: string }).profile).toBe('Main');
    // The picture types ffprobe sees, in presentation order, are the ones the camera made.
    const expected = [...pictures]
      .sort((a, b) => a.pts - b.pts)
      .map((p) => (p.idr ? 'I' : sliceType(p.data)))
      .join('');
    expect(pictTypes(file)).toBe(expected);
    // I B P B P ... B P | I ...: the last picture of a GOP and the one before a key frame are P.
    expect(expected.slice(0, 31)).toBe('I' + 'BP'.repeat(14) + 'P' + 'I');
    expect(expected.slice(31, 41)).toBe('BPBPBPBPP' + 'I');
    expect(expected.at(-1)).toBe('P');
    // A recording's key frame decodes when it is shown; the P picture decoded before the first
    // B picture halfway between them; from then on one capture early.
    expect(pictures[0]!.dts).toBe(pictures[0]!.pts);
    expect(pictures[1]!.dts).toBe(Math.ceil((pictures[0]!.pts + pictures[2]!.pts) / 2));
    expect(pictures[2]!.dts).toBe(pictures[2]!.pts); // B1
    expect(pictures[3]!.dts).toBe(pictures[1]!.pts); // P4 at P2's capture time
    // Decode order differs from presentation order: a B picture follows the P shown after it.
    expect(pictures.some((p, i) => i > 0 && p.pts < pictures[i - 1]!.pts)).toBe(true);
  });

  it('with B-frames, a timelapse has none: its pictures decode when shown, and full rate picks up B-frames again', () => {
    const cam = new SyntheticCamera('road', {
      width: 160,
      height: 96,
      fps: 30,
      gopSeconds: 1,
      scene: 'road',
      bFrames: 1,
    });
    cam.start(T0);
    const pictures: Picture[] = [],
      rendered: Buffer[] = [];
    const take = (n: number) => {
      for (let i = 0; i < n; i++) {
        pictures.push(...cam.capture({ distanceM: pictures.length, speedKmh: 50 }));
        rendered.push(cam.scene.frame.displayed());
      }
    };
    take(6); // the 6th capture is held
    cam.setTimelapse(1e6, cam.nextPts);
    take(4);
    const lapse = pictures.slice(6);
    cam.setTimelapse(null, cam.nextPts);
    take(8);
    pictures.push(...cam.flush());
    const file = `${tmp.dir}/timelapse-b.h264`;
    writeFileSync(file, Buffer.concat(pictures.map((p) => p.data)));
    expectExact(file, rendered, pictures);
    // The held capture came out (as P) with the first timelapse picture; timelapse pictures have dts = pts.
    expect(lapse.map((p) => p.pts - p.dts)).toEqual([0, 0, 0, 0]);
    expect(pictTypes(file)).toBe('IBPBPP' + 'IPPP' + 'IBPBPBPP');
  });

  it('decoded frames equal the rendered frames at the default sizes (road 1280x720@30, cabin 640x360@15 — 368 coded rows)', () => {
    for (const name of ['road', 'cabin']) {
      const cam = createCamera({ name }) as SyntheticCamera;
      const n = name === 'road' ? 40 : 20;
      const { file, rendered, sizes } = record(cam, n);
      expect(decodeErrors(file)).toBe('');
      const probe = ffprobe(file).streams[0]!;
      expect([probe.codec_name, probe.width, probe.height]).toEqual(['h264', cam.width, cam.height]);
      expect((probe as unknown as { profile: string }).profile).toBe('Constrained Baseline');
      const raw = decodeRaw(file);
      expect(Buffer.concat(rendered).equals(raw)).toBe(true);
      // P pictures are small: only the moving marks and the clock digits are coded.
      const p = sizes.filter((_, i) => i % cam.encoder.options.gop !== 0);
      expect(Math.max(...p)).toBeLessThan(sizes[0]! / 5);
    }
  });

  it('the pictures show the camera name and the capture time', () => {
    const cam = new SyntheticCamera('road', { width: 640, height: 360, fps: 30, gopSeconds: 1, scene: 'road' });
    const { file } = record(cam, 31);
    // Frame 30 as decoded by ffmpeg carries the clock of 08:00:01.000: its overlay equals a
    // fresh render of that moment, and differs from the first frame's (08:00:00.000).
    const r = spawnSync(
      ffmpegPath,
      [
        '-v',
        'error',
        '-i',
        file,
        '-vf',
        'select=eq(n\\,30)',
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-',
      ],
      { maxBuffer: 1 << 26 },
    );
    expect(r.status).toBe(0);
    const decodedTop = r.stdout.subarray(0, 640 * 24);
    const at = (us: number) => {
      const c = new SyntheticCamera('road', { width: 640, height: 360, fps: 30, gopSeconds: 1, scene: 'road' });
      c.start(us);
      c.capture({ distanceM: 0, speedKmh: 50 });
      return Buffer.from(c.scene.frame.y.subarray(0, 640 * 24));
    };
    expect(decodedTop.equals(at(T0 + 1e6))).toBe(true);
    expect(decodedTop.equals(at(T0))).toBe(false);
  });

  it('a P picture with nothing changed is a few bytes; a forced IDR repeats the parameter sets', () => {
    const f = new YuvFrame(64, 48);
    fillRect(f, 0, 0, 64, 48, { y: 100, u: 120, v: 130 });
    const enc = new SyntheticH264Encoder({ width: 64, height: 48, fps: 10, gop: 100 });
    const [idr] = enc.encode(f);
    const [p] = enc.encode(f, []);
    const [idr2] = enc.encode(f, [], true);
    if (!idr || !p || !idr2) throw new Error('one picture per frame without B-frames');
    expect([idr.type, p.type, idr2.type]).toEqual(['I', 'P', 'I']);
    expect(idr.idr && idr2.idr && !p.idr).toBe(true);
    expect(p.data.length).toBeLessThan(16);
    // the engine's parser finds the three pictures and which are IDRs
    expect(parseAnnexB(Buffer.concat([idr.data, p.data, idr2.data])).units.map((u) => u.idr)).toEqual([
      true,
      false,
      true,
    ]);
    writeFileSync(`${tmp.dir}/tiny.h264`, Buffer.concat([idr.data, p.data, idr2.data]));
    expect(decodeErrors(`${tmp.dir}/tiny.h264`)).toBe('');
  });

  // Printed, not asserted: a wall-clock floor fails on a loaded machine, not on slow code.
  it('frames per second at each default size (printed)', () => {
    const rates: Record<string, number> = {};
    for (const name of ['road', 'cabin']) {
      const cam = createCamera({ name });
      cam.start(T0);
      const n = name === 'road' ? 300 : 150;
      const t = performance.now();
      for (let i = 0; i < n; i++) cam.capture({ distanceM: i * 0.5, speedKmh: 54 });
      rates[name] = Math.round((n * 1000) / (performance.now() - t));
    }
    // 20x real time of both cameras needs 600 + 300 pictures/s.
    console.log(`encoder: road 1280x720 ${rates.road} fps, cabin 640x360 ${rates.cabin} fps`);
    expect(rates.road).toBeGreaterThan(0);
    expect(rates.cabin).toBeGreaterThan(0);
  });
});
