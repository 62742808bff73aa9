/**
 * Any real MP4 is accepted or refused with a 4xx that says why (issue 17, item 2): files made
 * by ffmpeg at test time — tracks sharing one handler name, audio, MOV, moov first or last,
 * fragmented; HEVC, MPEG-4 part 2 and audio-only refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegPath, FIXTURES, fixturesDir, run } from '../../../test/helpers/tools.js';
import { until, useSqliteService } from './helpers.js';

describe('uploads from other muxers', () => {
  const svc = useSqliteService();

  it('a dual-track ffmpeg MP4 (both tracks named "VideoHandler") is stored with a road and a cabin track', async () => {
    const file = join(svc.tmp.dir, 'dual.mp4');
    const r = run(ffmpegPath, [
      '-y',
      '-loglevel',
      'error',
      '-f',
      'h264',
      '-r',
      '30',
      '-i',
      join(fixturesDir, FIXTURES.road),
      '-f',
      'h264',
      '-r',
      '30',
      '-i',
      join(fixturesDir, FIXTURES.cabin),
      '-map',
      '0:v',
      '-map',
      '1:v',
      '-c',
      'copy',
      '-t',
      '4',
      file,
    ]);
    expect(r.status).toBe(0);
    const id = '6a1c2b3d-0000-4000-8000-0000000000d1';
    const put = await svc.api.upload(id, readFileSync(file));
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    const clip = await until(async () => {
      const c = await svc.api.json(`/v1/clips/${id}`);
      return c.body?.state === 'ready' ? c.body : null;
    });
    expect(clip.tracks.map((t: { role: string }) => t.role)).toEqual(['road', 'cabin']);
    for (const track of ['road', 'cabin']) {
      const v = await svc.api.fetch(`/v1/clips/${id}/video?track=${track}`);
      expect(v.status).toBe(200);
      expect((await v.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  /** ffmpeg at test time: `args` make `name` from the road fixture (input 0) and lavfi sources. */
  const make = (name: string, args: string[]): string => {
    const file = join(svc.tmp.dir, name);
    const r = run(ffmpegPath, [
      '-y',
      '-loglevel',
      'error',
      '-f',
      'h264',
      '-r',
      '30',
      '-i',
      join(fixturesDir, FIXTURES.road),
      ...args,
      file,
    ]);
    expect(r.status, r.stderr).toBe(0);
    return file;
  };
  const lavfi = (source: string) => ['-f', 'lavfi', '-i', source];

  it('accepts H.264 in the containers other muxers write: with audio, MOV, moov first or last, fragmented', async () => {
    const cases: Array<[string, string[]]> = [
      [
        'with-audio.mp4',
        [
          ...lavfi('sine=frequency=440:duration=3'),
          '-map',
          '0:v',
          '-map',
          '1:a',
          '-c:v',
          'copy',
          '-c:a',
          'aac',
          '-t',
          '3',
        ],
      ],
      ['quicktime.mov', ['-c', 'copy', '-t', '3']],
      ['moov-last.mp4', ['-c', 'copy', '-t', '3']],
      ['moov-first.mp4', ['-c', 'copy', '-t', '3', '-movflags', '+faststart']],
      ['fragmented.mp4', ['-c', 'copy', '-t', '3', '-movflags', '+frag_keyframe+empty_moov+default_base_moof']],
    ];
    for (const [name, args] of cases) {
      const id = `6a1c2b3d-0000-4000-8000-0000000001${String(cases.findIndex((c) => c[0] === name)).padStart(2, '0')}`;
      const put = await svc.api.upload(id, readFileSync(make(name, args)));
      expect(put.status, `${name}: ${JSON.stringify(put.body)}`).toBe(201);
      expect(
        put.body.tracks.map((t: { role: string }) => t.role),
        name,
      ).toEqual(['road']);
      expect(put.body.duration, name).toBeCloseTo(3, 0);
      const v = await svc.api.fetch(`/v1/clips/${id}/video?track=road`, { headers: { range: 'bytes=0-7' } });
      expect(v.status, name).toBe(206);
      expect(
        Buffer.from(await v.arrayBuffer())
          .subarray(4, 8)
          .toString(),
        name,
      ).toBe('ftyp');
    }
  });

  it('refuses what it cannot serve with 422 and why: HEVC, MPEG-4 part 2, audio only', async () => {
    const cases: Array<[string, string[]]> = [
      [
        'hevc.mp4',
        [
          ...lavfi('testsrc=size=320x240:rate=30:duration=1'),
          '-map',
          '1:v',
          '-c:v',
          'libx265',
          '-x265-params',
          'log-level=error',
        ],
      ],
      ['mpeg4-part2.mp4', [...lavfi('testsrc=size=320x240:rate=30:duration=1'), '-map', '1:v', '-c:v', 'mpeg4']],
      ['audio-only.mp4', [...lavfi('sine=frequency=440:duration=1'), '-map', '1:a', '-c:a', 'aac']],
    ];
    for (const [name, args] of cases) {
      const id = '6a1c2b3d-0000-4000-8000-0000000002aa';
      const put = await svc.api.upload(id, readFileSync(make(name, args)));
      expect(put.status, `${name}: ${JSON.stringify(put.body)}`).toBe(422);
      expect(put.body.error.code, name).toBe('invalid_video');
      expect(put.body.error.message, name).toMatch(/no H\.264 video track/);
      expect((await svc.api.json(`/v1/clips/${id}`)).status, name).toBe(404); // nothing kept: the id is free again
    }
  });
});
