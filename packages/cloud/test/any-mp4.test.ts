/** Any real MP4 is accepted (issue 17, item 2): here, a dual-track file made by ffmpeg whose tracks share one handler name. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, FIXTURES, fixturesDir, run } from '../../../test/helpers/tools.js';
import type { Server } from '../src/server.js';
import { Api, sqliteBackend, tempDir, until, type Backend } from './helpers.js';

describe('uploads from other muxers', () => {
  const tmp = tempDir();
  let backend: Backend;
  let server: Server;
  let api: Api;
  beforeAll(async () => {
    backend = sqliteBackend();
    server = await backend.start();
    api = new Api(server.url, (await server.service.createToken('alice')).token);
  });
  afterAll(async () => {
    await server.close();
    await backend.cleanup();
    tmp.cleanup();
  });

  it('a dual-track ffmpeg MP4 (both tracks named "VideoHandler") is stored with a road and a cabin track', async () => {
    const file = join(tmp.dir, 'dual.mp4');
    const r = run(ffmpegPath, ['-y', '-loglevel', 'error', '-f', 'h264', '-r', '30', '-i', join(fixturesDir, FIXTURES.road), '-f', 'h264', '-r', '30',
      '-i', join(fixturesDir, FIXTURES.cabin), '-map', '0:v', '-map', '1:v', '-c', 'copy', '-t', '4', file]);
    expect(r.status).toBe(0);
    const id = '6a1c2b3d-0000-4000-8000-0000000000d1';
    const put = await api.upload(id, readFileSync(file));
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    const clip = await until(async () => {
      const c = await api.json(`/v1/clips/${id}`);
      return c.body?.state === 'ready' ? c.body : null;
    });
    expect(clip.tracks.map((t: { role: string }) => t.role)).toEqual(['road', 'cabin']);
    for (const track of ['road', 'cabin']) {
      const v = await api.fetch(`/v1/clips/${id}/video?track=${track}`);
      expect(v.status).toBe(200);
      expect((await v.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });
});
