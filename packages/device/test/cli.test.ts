/**
 * A power cut for real: the simulator runs as its own process (`ringclip-device simulate`)
 * and is killed with SIGKILL mid-drive — no flush, no close, no saving. Powering on from
 * the same data directory recovers internal memory with all flushed footage, keeps the
 * unacknowledged events and their protections, and starts a new drive.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashcam } from '../src/index.js';
import { decodeErrors, ffprobePath, scratch, smallDevice } from './helpers.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const tmp = scratch();
let child: ChildProcess | null = null;

/** The CLI runs from dist/: build it when a source file is newer. */
beforeAll(() => {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((d) =>
        d.isDirectory() ? newest(`${dir}/${d.name}`) : statSync(`${dir}/${d.name}`).mtimeMs,
      ),
    );
  if (!existsSync(`${pkg}dist/cli.js`) || newest(`${pkg}src`) > statSync(`${pkg}dist/cli.js`).mtimeMs) {
    const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
    const r = spawnSync(process.execPath, [tsc, '-p', `${pkg}tsconfig.json`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the device package failed:\n${r.stdout}${r.stderr}`);
  }
});
afterAll(() => {
  child?.kill('SIGKILL');
  tmp.cleanup();
});

const cli = (args: string[]) => spawnSync(process.execPath, [`${pkg}dist/cli.js`, ...args], { encoding: 'utf8' });

describe('ringclip-device simulate', () => {
  it('drives a built-in scenario, prints events and a summary, and leaves a store `ringclip info` opens', () => {
    const data = `${tmp.dir}/commute`;
    const r = cli([
      'simulate',
      '--scenario',
      'commute',
      '--duration',
      '3m',
      '--speed',
      'max',
      '--memory',
      '16MiB',
      '--data',
      data,
      '--road',
      '320x180@30',
      '--cabin',
      '160x96@15',
      '--exit',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pairing code: \d{6}/);
    expect(r.stdout).toMatch(/summary: commute, 180 s of driving/);
    expect(r.stdout).toMatch(/events: none/);
    // 180 s: 46.875 AAC frames a second, 100 G-sensor samples and 10 GPS fixes a second.
    expect(r.stdout).toMatch(
      /cabin audio: 843[78] AAC frames \(.*\); telemetry: 19800 camm samples, 1800 of them GPS fixes \(386\.7 KiB\)/,
    );
    expect(r.stdout).not.toMatch(/^event /m);
    const info = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)), 'info', `${data}/memory.ring`, '--json'],
      { encoding: 'utf8' },
    );
    expect(info.status, info.stderr).toBe(0);
    const json = JSON.parse(info.stdout);
    expect(json.streams.map((s: { name: string }) => s.name)).toEqual(['road', 'cabin', 'cabin-audio', 'telemetry']);
    expect(json.streams.slice(0, 2).map((s: { width: number }) => s.width)).toEqual([320, 160]);
    expect(json.overwrittenFrames).toBeGreaterThan(0); // 3 minutes through 16 MiB: it looped
  });

  it('--b-frames: both cameras record with B pictures, and a clip of the store decodes', () => {
    const data = `${tmp.dir}/bframes`;
    const r = cli(
      ['simulate', '--scenario', 'commute', '--duration', '20s', '--speed', 'max', '--memory', '16MiB'].concat([
        '--data',
        data,
        '--road',
        '320x180@30',
        '--cabin',
        '160x96@15',
        '--b-frames',
        '--exit',
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    const out = `${tmp.dir}/bframes.mp4`;
    const clip = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)), 'clip', `${data}/memory.ring`].concat([
        '--from',
        '+2',
        '--to',
        '+8',
        '--streams',
        'road,cabin',
        '-o',
        out,
      ]),
      { encoding: 'utf8' },
    );
    expect(clip.status, clip.stderr).toBe(0);
    expect(decodeErrors(out)).toBe('');
    for (const stream of ['0', '1']) {
      const types = spawnSync(
        ffprobePath,
        ['-v', 'error', '-select_streams', stream, '-show_entries', 'frame=pict_type', '-of', 'csv=p=0', out],
        { encoding: 'utf8' },
      ).stdout;
      expect(types.split('\n').filter((t) => t.trim() === 'B').length, `stream ${stream}`).toBeGreaterThan(10);
    }
  });

  it('prints usage errors with exit status 2', () => {
    expect(cli(['simulate']).status).toBe(2);
    expect(cli(['fly']).status).toBe(2);
    const r = cli(['simulate', '--scenario', 'no-such-scenario', '--exit']);
    expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(/no scenario 'no-such-scenario'.*commute/)]);
  });
});

describe('power cut (kill -9 of the device process)', () => {
  it('keeps all flushed footage and the unacknowledged events; the next power-on is a new drive', async () => {
    const data = `${tmp.dir}/data`;
    child = spawn(
      process.execPath,
      [
        `${pkg}dist/cli.js`,
        'simulate',
        '--scenario',
        'hard-brake-collision',
        '--duration',
        '10m',
        '--speed',
        '10',
        '--memory',
        '128MiB',
        '--data',
        data,
        '--pairing-code',
        '111111',
        '--road',
        '320x180@30',
        '--cabin',
        '160x96@15',
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const lines = createInterface({ input: child.stdout! });
    let url = '';
    const kinds: string[] = [];
    for await (const line of lines) {
      const msg = JSON.parse(line);
      if (msg.type === 'api') url = msg.url;
      if (msg.type === 'event') kinds.push(msg.kind);
      if (kinds.includes('collision')) break;
    }
    expect(kinds, stderr).toEqual(['hard-brake', 'collision']);
    // (a moment more of recording, then the cut)
    await new Promise((r) => setTimeout(r, 300));
    const { token } = await (
      await fetch(`${url}/pair`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"code":"111111"}',
      })
    ).json();
    const status = await (await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } })).json();
    const durable = Date.parse(status.durableUntil) * 1000;
    expect(status.events.unacknowledged).toBe(2);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = null;

    const cam = new Dashcam(smallDevice(data, { startTime: undefined }));
    await cam.powerOn();
    try {
      expect(cam.drive).toBe(2);
      const info = cam.store.info();
      for (const s of info.streams) expect(s.last!, s.name).toBeGreaterThanOrEqual(durable - 70_000);
      expect(cam.store.verify().ok).toBe(true);
      expect(cam.events.map((e) => [e.kind, e.acknowledged, e.protectionId !== null])).toEqual([
        ['hard-brake', false, true],
        ['collision', false, true],
      ]);
      expect(
        cam.store
          .protections()
          .map((p) => p.id)
          .sort(),
      ).toEqual(cam.events.map((e) => e.protectionId).sort());
      // The hard brake's clip (its window, from the drive's start (20 s before a brake at 15 s
      // reaches before it) to its end, was recorded before the cut) decodes cleanly.
      const e = cam.events[0]!;
      const clip = cam.store.clip({ from: Math.max(e.from, info.drives[0]!.first!), to: e.to });
      expect(clip.partial).toBe(false);
      await clip.writeMP4(`${tmp.dir}/brake.mp4`);
      clip.release();
      expect(decodeErrors(`${tmp.dir}/brake.mp4`)).toBe('');
      // Recording goes on in a new drive, after the old footage.
      await cam.run({ name: 'after', duration: 2, steps: [] }, { speed: Infinity });
      const drives = cam.store.info().drives;
      expect(drives.map((d) => d.id)).toEqual([1, 2]);
      expect(drives[1]!.first!).toBeGreaterThan(drives[0]!.last!);
      writeFileSync(`${tmp.dir}/ok`, '');
    } finally {
      await cam.powerOff();
    }
  });
});
