/** Real validators and fixtures for the tests: ffmpeg/ffprobe from npm packages. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function executable(path: string): string {
  // Some installs drop the exec bit of binaries shipped inside packages.
  if ((statSync(path).mode & 0o111) === 0) chmodSync(path, 0o755);
  return path;
}

export const ffmpegPath: string = executable((require('@ffmpeg-installer/ffmpeg') as { path: string }).path);
export const ffprobePath: string = executable((require('@ffprobe-installer/ffprobe') as { path: string }).path);

export const fixturesDir = new URL('../fixtures/', import.meta.url).pathname;
export function fixture(name: string): Buffer {
  return readFileSync(join(fixturesDir, name));
}

export const FIXTURES = {
  road: 'road_1080p30_high_gop30.h264',
  cabin: 'cabin_720p30_main_gop30.h264',
  bframes: 'bframes_720p30_high_gop60.h264',
  slices: 'slices4_aud_720p25_gop50.h264',
  opengop: 'opengop_480p30_keyint90.h264',
} as const;

export function tempDir(prefix = 'ringclip-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The environment for a tool this suite runs. `npm run test:asan` preloads the sanitizer
 * runtimes into node (LD_PRELOAD) for the sanitized addon; the players and parsers are not
 * built with them, and mediainfo preloaded with libasan hung at start. Node children keep
 * it: they load the sanitized addon.
 */
export function toolEnv(cmd: string): NodeJS.ProcessEnv {
  if (!process.env.LD_PRELOAD || cmd === process.execPath || cmd === 'node') return process.env;
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  delete env.UBSAN_OPTIONS;
  return env;
}

export function run(cmd: string, args: string[], input?: Buffer): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024, encoding: 'buffer', env: toolEnv(cmd) });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** run(), without blocking this process: for tools that fetch from a server the test itself runs. */
export function runAsync(
  cmd: string,
  args: string[],
  options: { stopAfterMs?: number } = {},
): Promise<{ status: number; stdout: string; stderr: string; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv(cmd) });
    // A player of a live stream never ends by itself: stopped (SIGINT) after the given time.
    let stopped = false;
    const timer =
      options.stopAfterMs === undefined
        ? null
        : setTimeout(() => {
            stopped = true;
            child.kill('SIGINT');
            setTimeout(() => child.kill('SIGKILL'), 2000).unref();
          }, options.stopAfterMs);
    const out: Buffer[] = [],
      err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({
        status: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        stopped,
      });
    });
  });
}

export interface ProbedStream {
  index: number;
  codec_name: string;
  codec_type?: string;
  codec_tag_string?: string;
  width: number;
  height: number;
  nb_read_frames?: string;
  nb_frames?: string;
  duration?: string;
  start_time?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
}

export function ffprobe(
  file: string,
  countFrames = false,
): { streams: ProbedStream[]; format: Record<string, string> } {
  const args = ['-v', 'error', '-show_streams', '-show_format', '-of', 'json'];
  if (countFrames) args.push('-count_frames');
  const r = run(ffprobePath, [...args, file]);
  if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * ffmpeg decodes the file strictly; returns stderr (empty when clean). `allowed` lists
 * messages that are expected for that input (each use says why); `outputArgs` go to the null
 * output (each use says why).
 */
export function decodeErrors(file: string, allowed: RegExp[] = [], outputArgs: string[] = []): string {
  // A stream that starts late (a parking clip's cabin audio starts at the bump, up to 30 s in)
  // holds up ffmpeg's muxer: the other streams' packets queue meanwhile (camm at 100 Hz), past
  // its default queue of 128 packets. A player has no such queue.
  const r = run(ffmpegPath, [
    '-v',
    'error',
    '-xerror',
    '-i',
    file,
    '-map',
    '0',
    '-max_muxing_queue_size',
    '8192',
    ...outputArgs,
    '-f',
    'null',
    '-',
  ]);
  const lines = r.stderr.split('\n').filter((l) => l.trim() && !allowed.some((a) => a.test(l)));
  return r.status === 0 ? lines.join('\n') : `exit ${r.status}: ${r.stderr}`;
}

/** MD5 of every decoded frame of one video stream, in presentation order. */
export function frameHashes(file: string, stream = 0, inputArgs: string[] = []): string[] {
  const r = run(ffmpegPath, ['-v', 'error', ...inputArgs, '-i', file, '-map', `0:${stream}`, '-f', 'framemd5', '-']);
  if (r.status !== 0) throw new Error(`ffmpeg framemd5 failed on ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

export { splitAccessUnits } from './annexb.js';

/** The first audio track of `file` decoded by ffmpeg (`-xerror`) to mono 32-bit float PCM at `rate`. */
export function decodeAudio(file: string, rate = 48_000): Float32Array {
  const r = spawnSync(
    ffmpegPath,
    ['-v', 'error', '-xerror', '-i', file, '-map', '0:a:0', '-f', 'f32le', '-ac', '1', '-ar', String(rate), '-'],
    {
      maxBuffer: 512 * 1024 * 1024,
    },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg could not decode the audio of ${file}: ${r.stderr.toString()}`);
  return new Float32Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength / 4);
}

/**
 * Click onsets (seconds from the file's presentation start) in its first audio track: where
 * the level jumps far above the hum (the sync marks the test streams and the device's
 * microphone put on whole seconds), at most one per half second.
 */
export function audioClicks(file: string, rate = 48_000): number[] {
  const pcm = decodeAudio(file, rate);
  const times: number[] = [];
  let last = -1;
  for (let i = 0; i < pcm.length; i++) {
    if (Math.abs(pcm[i]!) > 0.3 && (last < 0 || i - last > rate / 2)) {
      times.push(i / rate);
      last = i;
    }
  }
  return times;
}

/**
 * A child process's stderr without libgcov's own lines. In the sanitizer run the addon
 * counts coverage, and every process that loads it merges its counters into shared .gcda
 * files at exit; once here (session 10, the whole sanitizer suite) a counter file was found
 * inconsistent ("libgcov profiling error: … errors.cpp.gcda: Merge mismatch") and every later
 * child said so on stderr; the same tests alone were clean. Not understood (tests SIGKILL
 * children, which may land in a merge). That line is the instrumentation's, never
 * ringclip's: tests asserting what ringclip writes to stderr leave it out.
 */
export function ownStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('libgcov profiling error:'))
    .join('\n');
}
