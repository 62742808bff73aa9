/**
 * HLS from the index (lib/hls.ts, core mp4/hls_layout): playlists made from a store range
 * per camera, byte ranges that are the GOPs, I-frame ranges that end at the key frame, and
 * ffmpeg playing the HLS over 127.0.0.1 (-xerror) frame for frame.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HlsRendition,
  InvalidArgumentError,
  SegmentStore,
  StoreClosedError,
  masterPlaylist,
  unreleasedNativeBytes,
} from '../lib/index.js';
import { serve } from './helpers/browser.js';
import { T0, recordDualStore, recordInterleaved } from './helpers/store.js';
import { FIXTURES, ffmpegPath, ffprobe, ffprobePath, run, runAsync, tempDir } from './helpers/tools.js';

const tmp = tempDir();
let store: SegmentStore;

beforeAll(async () => {
  store = await recordDualStore(join(tmp.dir, 'h.ring'), 10);
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

const rendition = (stream: string, live = false) => {
  const clip = store.clip({ from: T0, to: T0 + 10e6, streams: [stream] });
  try {
    return clip.toHls({ live });
  } finally {
    clip.release();
  }
};

describe('HLS from the index', () => {
  it('a media playlist of one fMP4 segment per GOP, each a slice of the virtual file', () => {
    const hls = rendition('road');
    expect(hls).toBeInstanceOf(HlsRendition);
    expect(hls.segmentCount).toBe(10);
    expect(hls.codecs).toMatch(/^avc1\.64/);
    expect([hls.width, hls.height]).toEqual([1920, 1080]);
    const text = hls.mediaPlaylist({ name: 'road', query: 'access_token=abc' });
    const lines = text.trim().split('\n');
    expect(lines.slice(0, 7)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="road-init.mp4?access_token=abc"',
    ]);
    expect(lines).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z');
    expect(lines.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(lines.filter((l) => l.endsWith('.m4s?access_token=abc'))).toEqual(
      [...Array(10).keys()].map((n) => `road-${n}.m4s?access_token=abc`),
    );
    let at = hls.initSize;
    hls.segments.forEach((s, n) => {
      expect(s.offset).toBe(at);
      expect(hls.part(`road-${n}.m4s`, 'road')).toEqual({ start: s.offset, end: s.offset + s.size });
      expect(hls.file.read(s.offset + 4, s.offset + 8).toString()).toBe('moof');
      at += s.size;
    });
    expect(at).toBe(hls.file.size);
    expect(hls.part('road-init.mp4', 'road')).toEqual({ start: 0, end: hls.initSize });
    expect(hls.part('road.mp4', 'road')).toEqual({ start: 0, end: hls.file.size });
    expect(hls.part('road-10.m4s', 'road')).toBeNull();
    expect(hls.part('cabin-1.m4s', 'road')).toBeNull();
    expect(hls.part('road-01.m4s', 'road')).toBeNull();
    expect(hls.segments.map((s) => s.start)).toEqual([...Array(10).keys()].map((k) => k * 1e6));
    hls.release();
  });

  it('ffmpeg plays the media playlist over 127.0.0.1 with -xerror: every frame, the same pictures as the MP4', async () => {
    const hls = rendition('road');
    const routes: Record<string, { type: string; body: Buffer | string }> = {
      '/road.m3u8': { type: 'application/vnd.apple.mpegurl', body: hls.mediaPlaylist({ name: 'road' }) },
      '/road-init.mp4': { type: 'video/mp4', body: hls.file.read(0, hls.initSize) },
    };
    hls.segments.forEach(
      (s, n) => (routes[`/road-${n}.m4s`] = { type: 'video/mp4', body: hls.file.read(s.offset, s.offset + s.size) }),
    );
    const { url, server } = await serve(routes);
    try {
      const r = await runAsync(ffmpegPath, [
        '-v',
        'error',
        '-xerror',
        '-i',
        `${url}/road.m3u8`,
        '-map',
        '0:v',
        '-f',
        'framemd5',
        '-',
      ]);
      expect(r.stderr).toBe('');
      const frames = r.stdout.split('\n').filter((l) => /^\d/.test(l));
      expect(frames.length).toBe(300);
      const mp4 = join(tmp.dir, 'road.mp4');
      writeFileSync(mp4, hls.file.read(0));
      const direct = run(ffmpegPath, ['-v', 'error', '-i', mp4, '-map', '0:v', '-f', 'framemd5', '-'])
        .stdout.split('\n')
        .filter((l) => /^\d/.test(l));
      expect(frames.map((l) => l.split(',').at(-1))).toEqual(direct.map((l) => l.split(',').at(-1)));
    } finally {
      server.close();
      hls.release();
    }
  });

  it('an I-frame playlist whose ranges hold the moof and exactly the key frame: each decodes to one picture', () => {
    const hls = rendition('cabin');
    const text = hls.iframePlaylist({ name: 'cabin' });
    expect(text).toContain('#EXT-X-I-FRAMES-ONLY');
    const ranges = [...text.matchAll(/#EXT-X-BYTERANGE:(\d+)@0\ncabin-(\d+)\.m4s/g)].map(
      (m) => [Number(m[1]), Number(m[2])] as const,
    );
    expect(ranges.length).toBe(10);
    const init = hls.file.read(0, hls.initSize);
    for (const [length, n] of ranges.slice(0, 3)) {
      const seg = hls.segments[n]!;
      expect(length).toBe(seg.keyFrameEnd - seg.offset);
      const file = join(tmp.dir, `iframe-${n}.mp4`);
      writeFileSync(file, Buffer.concat([init, hls.file.read(seg.offset, seg.offset + length)]));
      // The moof lists the whole GOP; the range ends after the key frame (a truncated mdat):
      // ffmpeg decodes the one frame that is there.
      const r = run(ffmpegPath, ['-v', 'error', '-i', file, '-map', '0:v', '-frames:v', '1', '-f', 'framemd5', '-']);
      expect(r.stdout.split('\n').filter((l) => /^\d/.test(l)).length, r.stderr).toBe(1);
    }
    hls.release();
  });

  it('a master playlist lists the cameras as angles and one I-frame stream each; URIs carry the query', () => {
    const road = rendition('road'),
      cabin = rendition('cabin');
    const text = masterPlaylist(
      [
        { name: 'road', rendition: road, playlist: 'road.m3u8', iframes: 'road.iframes.m3u8' },
        { name: 'cabin', rendition: cabin, playlist: 'cabin.m3u8', iframes: 'cabin.iframes.m3u8' },
      ],
      { query: 'u=1&sig=x' },
    );
    expect(text).toContain('#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="cameras",NAME="road",DEFAULT=YES,AUTOSELECT=YES\n');
    expect(text).toContain(
      '#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="cameras",NAME="cabin",DEFAULT=NO,AUTOSELECT=YES,URI="cabin.m3u8?u=1&sig=x"',
    );
    expect(text).toMatch(
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},avc1\.[0-9a-f]{6}",RESOLUTION=1920x1080,VIDEO="cameras"\nroad\.m3u8\?u=1&sig=x\n/,
    );
    expect(text.match(/#EXT-X-I-FRAME-STREAM-INF:/g)?.length).toBe(2);
    expect(text).toContain('URI="cabin.iframes.m3u8?u=1&sig=x"');
    expect(() => masterPlaylist([])).toThrow(InvalidArgumentError);
    expect(() =>
      masterPlaylist([
        { name: 'road', rendition: road, playlist: 'a', iframes: 'b' },
        { name: 'road', rendition: cabin, playlist: 'a', iframes: 'b' },
      ]),
    ).toThrow(/twice/);
    expect(() => road.mediaPlaylist({ name: 'has space' })).toThrow(InvalidArgumentError);
    road.release();
    cabin.release();
  });

  it('lays out the fMP4 only when a byte of it is asked for: playlists come from the segment table alone', () => {
    const before = unreleasedNativeBytes();
    const hls = rendition('cabin');
    const planned = unreleasedNativeBytes();
    expect(planned).toBeGreaterThan(before); // the clip's tables, held for the file until release()
    const text = hls.mediaPlaylist({ name: 'cabin' }) + hls.iframePlaylist({ name: 'cabin' });
    expect(text).toContain('cabin-9.m4s');
    expect(hls.part('cabin.mp4', 'cabin')).toEqual({ start: 0, end: hls.size });
    expect(unreleasedNativeBytes()).toBe(planned); // no file yet
    const file = hls.file;
    expect(unreleasedNativeBytes()).toBeGreaterThan(planned); // now its pieces
    expect(hls.file).toBe(file); // built once
    expect(file.size).toBe(hls.size);
    const last = hls.segments.at(-1)!;
    expect(last.offset + last.size).toBe(hls.size);
    expect(file.read(last.offset + 4, last.offset + 8).toString()).toBe('moof');
    hls.release();
    expect(unreleasedNativeBytes()).toBe(before);
    expect(() => file.read(0, 8)).toThrow(/released/);
    // Released before its file was built: the file can no longer be made.
    const unbuilt = rendition('cabin');
    unbuilt.release();
    expect(unreleasedNativeBytes()).toBe(before);
    expect(() => unbuilt.file).toThrow(StoreClosedError);
    expect(() => unbuilt.file).toThrow(/the HLS rendition was released/);
  });

  it('partFile(): the init and each segment built alone, the same bytes as the whole file holds there', () => {
    const hls = rendition('road', true);
    const whole = hls.file.read(0);
    const etags = new Set<string>();
    const uris = ['road-init.mp4', ...[...Array(hls.segmentCount).keys()].map((n) => `road-${n}.m4s`)];
    for (const uri of uris) {
      const range = hls.part(uri, 'road')!;
      const part = hls.partFile(uri, 'road')!;
      expect(part.size, uri).toBe(range.end - range.start);
      expect(part.read(0).equals(whole.subarray(range.start, range.end)), uri).toBe(true);
      etags.add(part.etag);
      part.release();
    }
    expect(etags.size).toBe(uris.length);
    expect(hls.partFile('road.mp4', 'road')).toBe(hls.file);
    expect(hls.partFile(`road-${hls.segmentCount}.m4s`, 'road')).toBeNull(); // the GOP still recording
    expect(hls.partFile('cabin-0.m4s', 'road')).toBeNull();
    expect(() => hls.partFile(0 as never, 'road')).toThrow(/takes two strings/);
    hls.release();
    expect(() => hls.partFile('road-0.m4s', 'road')).toThrow(/the HLS rendition was released/);
  });

  it('live: an EVENT playlist without ENDLIST whose GOP still recording is not listed', () => {
    const hls = rendition('road', true);
    const text = hls.mediaPlaylist({ name: 'road' });
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(text).not.toContain('#EXT-X-ENDLIST');
    expect(hls.segmentCount).toBe(9);
    const closed = rendition('road');
    // The listed bytes are the closed rendition's own.
    const end = hls.segments.at(-1)!.offset + hls.segments.at(-1)!.size;
    expect(hls.file.read(0, end).equals(closed.file.read(0, end))).toBe(true);
    hls.release();
    closed.release();
  });

  it('refuses bad names, URIs and queries with what was wrong; part() names only its own files', () => {
    const road = rendition('road');
    try {
      expect(() => road.mediaPlaylist(undefined as never)).toThrow(/an HLS name is 1-64 letters/);
      expect(() => road.iframePlaylist({ name: 'x'.repeat(65) })).toThrow(/an HLS name is 1-64 letters/);
      expect(() => road.mediaPlaylist({ name: 'road', query: 'a b' })).toThrow(
        /an HLS query is a string without spaces/,
      );
      expect(() => road.mediaPlaylist({ name: 'road', query: 'a#b' })).toThrow(/without spaces, quotes or '#'/);
      expect(road.mediaPlaylist({ name: 'road', query: '?a=1' })).toContain('road-init.mp4?a=1');
      expect(() => road.part(1 as never, 'road')).toThrow(/part\(uri, name\) takes two strings/);
      expect(road.part('road.mp4', 'road')).toEqual({ start: 0, end: road.file.size });
      expect(road.part('road-init.mp4', 'road')).toEqual({ start: 0, end: road.initSize });
      expect(road.part('cabin-0.m4s', 'road')).toBeNull();
      expect(road.part(`road-${road.segmentCount}.m4s`, 'road')).toBeNull();
      expect(road.part('road-01.m4s', 'road')).toBeNull();
      const cam = { rendition: road, playlist: 'road.m3u8', iframes: 'road.iframes.m3u8' };
      expect(() => masterPlaylist(null as never)).toThrow(/at least one camera/);
      expect(() => masterPlaylist([{ ...cam, name: 'a b' }])).toThrow(/a camera name is 1-64 letters/);
      expect(() => masterPlaylist([null as never])).toThrow(/a camera name is 1-64 letters/);
      expect(() => masterPlaylist([{ ...cam, name: 'road', rendition: {} as never }])).toThrow(/needs an HlsRendition/);
      expect(() => masterPlaylist([{ ...cam, name: 'road', playlist: 'has space' }])).toThrow(
        /an HLS URI is a non-empty string/,
      );
    } finally {
      road.release();
    }
  });

  it('refuses a clip of two cameras, saying why', () => {
    const clip = store.clip({ from: T0, to: T0 + 2e6 });
    expect(() => clip.toHls()).toThrow(/one camera: the clip has 'road' and 'cabin'/);
    clip.release();
  });

  it('every export presents its first sample at time 0 on every track (a cabin that starts later too)', async () => {
    const late = await SegmentStore.create(join(tmp.dir, 'late.ring'), {
      capacity: '64MiB',
      segmentSize: '4MiB',
      streams: ['road', 'cabin'],
    });
    try {
      // The cabin camera starts 0.4 s after the road camera.
      recordInterleaved(late, [{ stream: 'road', file: FIXTURES.road, fps: 30 }], 6);
      recordInterleaved(late, [{ stream: 'cabin', file: FIXTURES.cabin, fps: 30 }], 5, T0 + 400_000);
      for (const [name, options, output] of [
        ['keyframe', { from: T0 + 500_000, to: T0 + 5e6 }, {}],
        ['exact', { from: T0 + 1_500_000, to: T0 + 4e6, align: 'exact' as const }, {}],
        ['fragmented', { from: T0 + 500_000, to: T0 + 5e6 }, { fragmented: true }],
      ] as const) {
        const clip = late.clip(options);
        const file = join(tmp.dir, `late-${name}.mp4`);
        await clip.writeMP4(file, output);
        clip.release();
        const probe = ffprobe(file);
        const packets = JSON.parse(
          run(ffprobePath, ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'json', file])
            .stdout,
        ).packets as Array<{ stream_index: number; pts_time: string }>;
        for (const s of probe.streams) {
          const pts = packets.filter((p) => p.stream_index === s.index).map((p) => Number(p.pts_time));
          // The first presented packet of every track is at 0. A fragmented file's edit list
          // is applied by ffmpeg as a shift without discarding: the road camera's frames
          // decoded before time 0 (from its kept key frame, 0.4 s earlier) come out before it.
          expect(Math.min(...pts.filter((t) => t >= 0)), `${name} ${s.index}`).toBe(0);
          if (name === 'fragmented') expect(Math.min(...pts), `${name} ${s.index}`).toBeGreaterThanOrEqual(-0.4);
          else expect(Number(s.start_time), `${name} ${s.index}`).toBe(0);
        }
      }
    } finally {
      await late.close();
    }
  });
});
