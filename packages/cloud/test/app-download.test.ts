/**
 * `ringclip-app download` (issue 18 item 2: per-camera progressive downloads from the app
 * CLI): a clip of the cloud, signed in to once (the app's settings file), saved as the
 * dual-camera file or one camera with the clip's audio and telemetry, each a progressive MP4
 * that ffmpeg decodes and whose first presented sample is at 0; refusals say what was wrong.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeErrors, ffprobe } from '../../../test/helpers/tools.js';
import { Api, useAppCli, useSqliteService } from './helpers.js';
import { makeTelemetryClip } from './telemetry-fixture.js';

const svc = useSqliteService();
const run = useAppCli();
let id: string;
let data: string;

beforeAll(async () => {
  const clip = await makeTelemetryClip(svc.tmp.dir, { seconds: 4, accelSamples: 400, gpsHz: 1, audio: true });
  id = randomUUID();
  const r = await svc.api.upload(id, clip.bytes);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  // Signed in before: the app keeps its cloud in settings.json of its data folder.
  data = join(svc.tmp.dir, 'app');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'settings.json'), JSON.stringify({ cloud: { url: svc.server.url, token: svc.api.token } }));
}, 120_000);

describe('ringclip-app download (the app CLI, from the cloud)', () => {
  it.each([
    ['both', ['road', 'cabin']],
    ['road', ['road']],
    ['cabin', ['cabin']],
  ] as const)('--track %s: a progressive MP4 of those cameras with the audio and telemetry', async (track, cameras) => {
    const out = join(svc.tmp.dir, `download-${track}.mp4`);
    const r = await run(['download', id, '--track', track, '--out', out, '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${statSync(out).size} bytes (from the cloud)`);
    const streams = ffprobe(out).streams as Array<{
      codec_type: string;
      start_time?: string;
      tags?: { handler_name?: string };
    }>;
    const video = streams.filter((s) => s.codec_type === 'video').map((s) => s.tags?.handler_name);
    expect(video.sort()).toEqual([...cameras].sort());
    expect(streams.filter((s) => s.codec_type === 'audio')).toHaveLength(1);
    expect(streams.filter((s) => s.codec_type === 'data')).toHaveLength(1); // camm
    for (const s of streams) expect(Number(s.start_time), s.tags?.handler_name).toBe(0);
    expect(decodeErrors(out)).toBe('');
  });

  it('says what is wrong: an unknown camera, a clip it cannot see, no cloud', async () => {
    const out = join(svc.tmp.dir, 'refused.mp4');
    const camera = await run(['download', id, '--track', 'rear', '--out', out, '--data', data]);
    expect(camera.status).toBe(1);
    expect(camera.stderr).toMatch(/--track is road, cabin or both, got 'rear'/);
    const other = new Api(svc.server.url, (await svc.server.service.createToken('someone-else')).token);
    const otherData = join(svc.tmp.dir, 'app-other');
    mkdirSync(otherData, { recursive: true });
    writeFileSync(join(otherData, 'settings.json'), JSON.stringify({ cloud: { url: other.base, token: other.token } }));
    const hidden = await run(['download', id, '--out', out, '--data', otherData]);
    expect(hidden.status).toBe(1);
    expect(hidden.stderr).toMatch(/404|not found|no clip/i);
    const none = await run(['download', id, '--out', out, '--data', join(svc.tmp.dir, 'app-none')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/not signed in to the cloud/);
  });
});
