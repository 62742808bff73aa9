/**
 * HLS and per-camera downloads of stored clips: playlists per camera made from the stored
 * file by the engine, a signed master URL whose relative URIs keep working without the
 * bearer token, ffmpeg playing the HLS over 127.0.0.1, and the per-camera file.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobe } from '../../../test/helpers/tools.js';
import { makeClip, until, useSqliteService } from './helpers.js';

const ctx = useSqliteService();

function ffmpeg(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

async function readyClip(id: string, seconds = 4) {
  const { bytes } = await makeClip(ctx.tmp.dir, seconds);
  expect((await ctx.api.upload(id, bytes)).status).toBeLessThan(300);
  await until(async () => (await ctx.api.json(`/v1/clips/${id}`)).body?.state === 'ready');
}

describe('cloud HLS and per-camera downloads', () => {
  const id = '6a1c2b3d-0000-4000-8000-0000000000a1';

  it('a bearer request gets a master playlist whose URIs carry a signed query; a player follows it without the token', async () => {
    await readyClip(id);
    const master = await ctx.api.fetch(`/v1/clips/${id}/hls/master.m3u8`);
    expect(master.status).toBe(200);
    expect(master.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    const text = await master.text();
    expect(text).toMatch(
      /#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="cameras",NAME="cabin",DEFAULT=NO,AUTOSELECT=YES,URI="cabin\.m3u8\?track=hls&u=[^&]+&exp=\d+&sig=[\w-]+"/,
    );
    const query = /road\.m3u8\?(\S+)/.exec(text)![1]!;
    // Without the header: the signed query alone opens the playlists and segments.
    const base = `${ctx.server.url}/v1/clips/${id}/hls`;
    const road = await fetch(`${base}/road.m3u8?${query}`);
    expect(road.status).toBe(200);
    const playlist = await road.text();
    expect(playlist).toContain(`#EXT-X-MAP:URI="road-init.mp4?${query}"`);
    expect(playlist).toContain('#EXT-X-ENDLIST');
    expect(playlist.match(/^road-\d+\.m4s\?/gm)?.length).toBe(4);
    const seg = await fetch(`${base}/road-1.m4s?${query}`, { headers: { range: 'bytes=4-7' } });
    expect(seg.status).toBe(206);
    expect(Buffer.from(await seg.arrayBuffer()).toString()).toBe('moof');
    expect(seg.headers.get('etag')).toMatch(/^"[0-9a-f]{32}-hls-road-\d+-\d+-w\d+"$/);
    // ffmpeg over 127.0.0.1 with -xerror, from the signed master: 4 s of road at 30 fps.
    const r = await ffmpeg([
      '-v',
      'error',
      '-xerror',
      '-i',
      `${base}/master.m3u8?${query}`,
      '-map',
      '0:v:0',
      '-f',
      'framemd5',
      '-',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => /^\d/.test(l)).length).toBe(120);
    // The I-frame playlist: one key frame a second.
    const iframes = await (await fetch(`${base}/cabin.iframes.m3u8?${query}`)).text();
    expect(iframes).toContain('#EXT-X-I-FRAMES-ONLY');
    expect(iframes.match(/#EXT-X-BYTERANGE:\d+@0\ncabin-\d+\.m4s/g)?.length).toBe(4);
  });

  it('refuses what is not its own: no token, a link signed for another video, a wrong name or segment', async () => {
    expect((await fetch(`${ctx.server.url}/v1/clips/${id}/hls/master.m3u8`)).status).toBe(401);
    const json = (await ctx.api.json(`/v1/clips/${id}`)).body;
    const roadVideo = new URL(json.video.road, ctx.server.url);
    const wrong = await fetch(`${ctx.server.url}/v1/clips/${id}/hls/master.m3u8${roadVideo.search}`);
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.message).toMatch(/signed for another video/);
    const missing = await ctx.api.json(`/v1/clips/${id}/hls/road-99.m4s`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/the playlist lists 4 \(road-0\.m4s to road-3\.m4s\)/);
    expect((await ctx.api.json(`/v1/clips/${id}/hls/road.txt`)).status).toBe(404);
  });

  it('GET /download?track=cabin: one camera as a progressive MP4 (attachment), first frame at 0; track=both the stored file', async () => {
    const r = await ctx.api.fetch(`/v1/clips/${id}/download?track=cabin`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${id}-cabin.mp4"`);
    const file = join(ctx.tmp.dir, 'cabin.mp4');
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    const probe = ffprobe(file);
    expect(probe.streams.map((s) => [s.codec_name, s.tags?.handler_name, Number(s.start_time)])).toEqual([
      ['h264', 'cabin', 0],
    ]);
    const both = await ctx.api.fetch(`/v1/clips/${id}/download`);
    expect(both.headers.get('content-disposition')).toBe(`attachment; filename="${id}.mp4"`);
    expect(Number(both.headers.get('content-length'))).toBe((await ctx.api.json(`/v1/clips/${id}`)).body.size);
    await both.arrayBuffer();
    expect((await ctx.api.json(`/v1/clips/${id}/download?track=rear`)).status).toBe(400);
  });
});
