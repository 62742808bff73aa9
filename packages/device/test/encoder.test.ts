/**
 * The synthetic encoder, checked by a real decoder: ffmpeg decodes its output without an
 * error, and — I_PCM being lossless — every decoded frame equals the rendered one, bit for bit.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BitWriter } from '../src/h264/bitwriter.js';
import { NAL, writeNal } from '../src/h264/nal.js';
import {
  createCamera,
  SyntheticCamera,
  SyntheticH264Encoder,
  YuvFrame,
  fillRect,
  splitAccessUnits,
} from '../src/index.js';
import { decodeErrors, ffmpegPath, ffprobe, scratch, T0 } from './helpers.js';

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

/** Records `n` pictures of a synthetic camera; returns the stream and the rendered frames. */
function record(cam: SyntheticCamera, n: number, speedKmh = 50): { file: string; rendered: Buffer[]; sizes: number[] } {
  cam.start(T0);
  const aus: Buffer[] = [],
    rendered: Buffer[] = [],
    sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const pic = cam.capture({ distanceM: (i * speedKmh) / 3.6 / cam.fps, speedKmh });
    aus.push(Buffer.from(pic.data));
    sizes.push(pic.data.length);
    rendered.push(cam.scene.frame.displayed());
  }
  const file = `${tmp.dir}/${cam.name}-${cam.width}x${cam.height}.h264`;
  writeFileSync(file, Buffer.concat(aus));
  return { file, rendered, sizes };
}

function decodeRaw(file: string): Buffer {
  const r = spawnSync(ffmpegPath, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], {
    maxBuffer: 1 << 30,
  });
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
    const idr = enc.encode(f);
    const p = enc.encode(f, []);
    const idr2 = enc.encode(f, [], true);
    expect(idr.idr && idr2.idr && !p.idr).toBe(true);
    expect(p.data.length).toBeLessThan(16);
    expect(splitAccessUnits(Buffer.concat([idr.data, p.data, idr2.data])).map((u) => u.idr)).toEqual([
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
