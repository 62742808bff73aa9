import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ringclipInProcess } from './helpers/cli.js';
import { FIXTURES, decodeErrors, ffprobe, fixturesDir, frameHashes, ownStderr, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;

// The installed command in a child process, for what only it shows (its exit status).
function ringclipCommand(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: ownStderr(r.stderr) };
}
// The rest runs the same CLI code in this process: faster, and counted by coverage.
const ringclip = ringclipInProcess;

describe('ringclip CLI', () => {
  const store = `${tmp.dir}/cli.ring`;

  it('create, ingest two streams, info --json, verify', async () => {
    expect(
      (
        await ringclip(
          'create',
          store,
          '--capacity',
          '64MiB',
          '--segment-size',
          '4MiB',
          '--stream',
          'road',
          '--stream',
          'cabin',
        )
      ).status,
    ).toBe(0);
    const ingest = await ringclip(
      'ingest',
      store,
      '--stream',
      `road=${fixturesDir}/${FIXTURES.road}`,
      '--stream',
      `cabin=${fixturesDir}/${FIXTURES.cabin}`,
      '--start',
      '2026-01-01T00:00:00Z',
    );
    expect(ingest.stderr).toBe('');
    expect(ingest.status).toBe(0);
    expect(ingest.stdout).toMatch(/road: stored 300 frames at 30 fps/);
    const info = JSON.parse((await ringclip('info', store, '--json')).stdout);
    expect(
      info.streams.map((s: { name: string; frames: number; keyframes: number }) => [s.name, s.frames, s.keyframes]),
    ).toEqual([
      ['road', 300, 10],
      ['cabin', 300, 10],
    ]);
    expect(info.overwrittenFrames).toBe(0);
    expect(info.droppedFrames).toBe(0);
    expect((await ringclip('info', store)).stdout).toMatch(/road\s+avc1\.640028 1920x1080/);
    const v = await ringclip('verify', store, '--json');
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout).ok).toBe(true);
  });

  it('clip with +SECONDS and ISO times, mp4 and h264', async () => {
    const out = `${tmp.dir}/cli.mp4`;
    const r = await ringclip('clip', store, '--from', '+2', '--to', '+4', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(ffprobe(out).streams).toHaveLength(2);
    expect(decodeErrors(out)).toBe('');
    const h264 = `${tmp.dir}/cli.h264`;
    expect(
      (
        await ringclip(
          'clip',
          store,
          '--from',
          '2026-01-01T00:00:02Z',
          '--to',
          '2026-01-01T00:00:04Z',
          '--streams',
          'cabin',
          '--format',
          'h264',
          '-o',
          h264,
        )
      ).status,
    ).toBe(0);
    expect(frameHashes(h264)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.cabin}`).slice(60, 120));
  });

  it('cut an MP4 written by ffmpeg-compatible tools, frame-exact', async () => {
    const src = `${tmp.dir}/cli.mp4`;
    const out = `${tmp.dir}/cut.mp4`;
    const r = await ringclip('cut', src, '--from', '+0.5', '--to', '+1.5', '--streams', 'road', '-o', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Starts at the key frame at or before +0.5 s of the source clip (which starts at 2 s).
    expect(frameHashes(out)).toEqual(frameHashes(`${fixturesDir}/${FIXTURES.road}`).slice(60, 105));
  });

  it('exit codes of the command: 2 for usage errors, 1 for bad input, one clear line on stderr', () => {
    const usage = ringclipCommand('clip', store);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^ringclip: -o is required/);
    expect(ringclipCommand('frobnicate').status).toBe(2);
    expect(ringclipCommand().status).toBe(2);
    const missing = ringclipCommand('info', `${tmp.dir}/nope.ring`);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const range = ringclipCommand('clip', store, '--from', '+100', '--to', '+110', '-o', `${tmp.dir}/x.mp4`);
    expect(range.status).toBe(1);
    expect(range.stderr).toMatch(/no retained footage/);
  });

  it('ingest without a frame rate fails clearly (VUI or --fps, never a guess)', async () => {
    // Our fixtures carry VUI timing; a stream stripped of it would need --fps. Check the
    // explicit path: --fps overrides and a bad --fps is a usage error.
    const s2 = `${tmp.dir}/fps.ring`;
    expect(
      (await ringclip('create', s2, '--capacity', '32MiB', '--segment-size', '4MiB', '--stream', 'cam')).status,
    ).toBe(0);
    expect(
      (await ringclip('ingest', s2, '--stream', `cam=${fixturesDir}/${FIXTURES.cabin}`, '--fps', 'fast')).status,
    ).toBe(2);
    const ok = await ringclip('ingest', s2, '--stream', `cam=${fixturesDir}/${FIXTURES.cabin}`, '--fps', '15');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/at 15 fps/);
  });
});
