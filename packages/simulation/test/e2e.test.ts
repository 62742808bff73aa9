/**
 * The main job end to end: `npm start -- --exit` with a short scenario; the summary must
 * match the scenario, the clips must decode, and the cloud must list them over its API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, loadConfig } from '../../cloud/src/index.js';
import type { SimulationSummary } from '../src/simulation.js';
import { audioClicks, decodeErrors, ffprobe, run } from '../../../test/helpers/tools.js';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ringclip-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start', () => {
  it('--help lists the options', () => {
    const r = spawnSync('npm', ['start', '--silent', '--', '--help'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const flag of [
      '--scenario',
      '--duration',
      '--speed',
      '--device-memory',
      '--phone-storage',
      '--cloud',
      '--database-url',
      '--cloud-port',
      '--device-port',
      '--exit',
      '--data',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('--exit runs a drive through device, phone and cloud, and every scripted event becomes a clip in all three', async () => {
    // 62 s: the collision at 40 s has its 20 s after it recorded, so its clip is complete.
    const r = spawnSync(
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--exit',
        '--json',
        '--scenario',
        'hard-brake-collision',
        '--duration',
        '62s',
        '--speed',
        '50',
        '--cameras',
        'small',
        '--device-memory',
        '64MiB',
        '--phone-storage',
        '256MiB',
        '--data',
        dir,
      ],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.stderr).not.toMatch(/ringclip-sim:/);
    expect(r.status).toBe(0);
    // It says what happens in each residency, then a summary table.
    expect(r.stdout).toMatch(/^device +hard-brake at /m);
    expect(r.stdout).toMatch(/^device +collision at /m);
    expect(r.stdout).toMatch(/^phone +saved the hard-brake clip/m);
    expect(r.stdout).toMatch(/^cloud +stored clip /m);
    expect(r.stdout).toMatch(/^residency +what +id +kind/m);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as SimulationSummary;
    const expected = summary.expected.map((e) => e.kind).sort();
    expect(expected).toEqual(['collision', 'hard-brake']);
    // device: exactly the scripted events, acknowledged by the phone
    expect(summary.device.events.map((e) => e.kind).sort()).toEqual(expected);
    expect(summary.device.events.every((e) => e.acknowledged)).toBe(true);
    // phone: an event clip per event, uploaded, decodable; plus the manual cabin clip from device memory
    const events = summary.phone.clips.filter((c) => c.source === 'event');
    expect(events.map((c) => c.kind).sort()).toEqual(expected);
    const manual = summary.phone.clips.filter((c) => c.source === 'device');
    expect(manual).toHaveLength(1);
    for (const c of [...events, ...manual]) {
      expect(c.uploaded).toBe(true);
      expect(decodeErrors(c.path!)).toBe('');
    }
    // the cabin camera asked for, with the sound and the telemetry of its span
    expect(ffprobe(manual[0]!.path!).streams.map((s) => s.tags?.handler_name)).toEqual([
      'cabin',
      'cabin-audio',
      'telemetry',
    ]);
    // Each event clip is what a dashcam clip is: both cameras, the cabin's sound in sync (its
    // clicks on the whole seconds of capture time, within a frame: 15 fps small cameras), and
    // the GPS track that exiftool reads, through the place the device says the event happened.
    for (const c of events) {
      expect(ffprobe(c.path!).streams.map((s) => s.codec_tag_string)).toEqual(['avc1', 'avc1', 'mp4a', 'camm']);
      const offsets = audioClicks(c.path!)
        .map((t) => (((c.from! + Math.round(t * 1e6)) % 1e6) + 1e6) % 1e6)
        .map((r) => (r > 5e5 ? r - 1e6 : r));
      const seconds = (c.to! - c.from!) / 1e6;
      expect(offsets.length).toBeGreaterThanOrEqual(Math.floor(seconds) - 1);
      for (const o of offsets) expect(Math.abs(o)).toBeLessThan(1e6 / 15);
      const e = summary.device.events.find((x) => x.kind === c.kind)!;
      const r = run('exiftool', ['-ee', '-n', '-j', '-G3', '-GPSLatitude', '-GPSLongitude', '-GPSDateTime', c.path!]);
      expect(r.status, r.stderr).toBe(0);
      const tags = Object.entries((JSON.parse(r.stdout) as Array<Record<string, unknown>>)[0]!);
      const values = (name: string) => tags.filter(([k]) => k.endsWith(`:${name}`)).map(([, v]) => v as number);
      const lats = values('GPSLatitude'),
        lons = values('GPSLongitude');
      expect(lats.length).toBeGreaterThanOrEqual(Math.floor(seconds * 10) - 2); // 10 Hz (a fix lost to each end of the cut)
      expect(lons.length).toBe(lats.length);
      // within ~3 m of the event's place (the car covers ~1.4 m between fixes at 50 km/h)
      const nearest = Math.min(
        ...lats.map((lat, i) =>
          Math.hypot(
            (lat - e.location!.latitude) * 111_320,
            (lons[i]! - e.location!.longitude) * 111_320 * Math.cos((lat * Math.PI) / 180),
          ),
        ),
      );
      expect(nearest).toBeLessThan(3);
    }

    // cloud: a new service on the same data lists them over its API, and serves them decodable
    const token = new URL(summary.viewer).searchParams.get('token')!;
    const cloud = await createServer(loadConfig({ dataDir: join(dir, 'cloud'), port: 0, host: '127.0.0.1' }, {}));
    const url = await cloud.listen();
    try {
      const res = await fetch(`${url}/v1/clips`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const { clips } = (await res.json()) as { clips: Array<{ id: string; kind: string; state: string }> };
      expect(clips.map((c) => c.kind).sort()).toEqual([...expected, 'manual'].sort());
      expect(clips.map((c) => c.id).sort()).toEqual([...events, ...manual].map((c) => c.id).sort());
      for (const c of clips) {
        expect(c.state).toBe('ready');
        const video = await fetch(`${url}/v1/clips/${c.id}/video?track=both`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(video.status).toBe(200);
        const file = join(dir, `${c.id}.mp4`);
        writeFileSync(file, Buffer.from(await video.arrayBuffer()));
        expect(decodeErrors(file)).toBe('');
      }
    } finally {
      await cloud.close();
    }
  });

  it('--scenario parked-bump: the parked dashcam records its timelapse, the bump becomes a parking clip in all three residencies', () => {
    const data = join(dir, 'parked');
    const r = spawnSync(
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--exit',
        '--json',
        '--scenario',
        'parked-bump',
        '--speed',
        '50',
        '--cameras',
        'small',
        '--device-memory',
        '64MiB',
        '--phone-storage',
        '256MiB',
        '--data',
        data,
      ],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.stderr).not.toMatch(/ringclip-sim:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^device +parking-bump at /m);
    expect(r.stdout).toMatch(/^phone +hours that fit: /m);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as SimulationSummary;
    expect(summary.device.events.map((e) => e.kind)).toEqual(['parking-bump']);
    expect(summary.device.events[0]!.acknowledged).toBe(true);
    const clip = summary.phone.clips.find((c) => c.kind === 'parking-bump')!;
    expect(clip.uploaded).toBe(true);
    expect(decodeErrors(clip.path!)).toBe('');
    // The impact is in the clip: it runs from before the bump to well after it.
    const bump = summary.device.events[0]!.time;
    expect(clip.from!).toBeLessThanOrEqual(bump - 4e6);
    expect(clip.to!).toBeGreaterThanOrEqual(bump + 14e6);
    expect(summary.cloud.clips.map((c) => c.kind)).toContain('parking-bump');
  });

  it('--cloud postgres: the same drive with the cloud on PostgreSQL + s3rver, its schema dropped at exit', async () => {
    const databaseUrl = process.env.RINGCLIP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const r = spawnSync(
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--exit',
        '--json',
        '--cloud',
        'postgres',
        '--database-url',
        databaseUrl,
        '--scenario',
        'hard-brake-collision',
        // 38 s: the hard brake at 15 s has its 20 s after it recorded.
        '--duration',
        '38s',
        '--speed',
        '50',
        '--cameras',
        'small',
        '--device-memory',
        '64MiB',
        '--phone-storage',
        '256MiB',
      ],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.stderr).not.toMatch(/ringclip-sim:/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const schema =
      /^cloud +service up at \S+ \(PostgreSQL \S+ schema (\w+) \+ s3rver at http:\/\/127\.0\.0\.1:\d+/m.exec(
        r.stdout,
      )?.[1];
    expect(schema, r.stdout).toBeDefined();
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as SimulationSummary;
    expect(summary.cloud.stores).toBe('postgres');
    expect(summary.cloud.clips.map((c) => c.kind)).toContain('hard-brake');
    const uploaded = summary.phone.clips
      .filter((c) => c.uploaded)
      .map((c) => c.id)
      .sort();
    expect(summary.cloud.clips.map((c) => c.id).sort()).toEqual(uploaded);
    // a run without --data leaves nothing in the database
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const left = await c.query('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE $1', [
        `${schema}%`,
      ]);
      expect(left.rows).toEqual([]);
    } finally {
      await c.end();
    }
  });
});

describe('npm start --scenario connected-camera', () => {
  it('a dashcam with +Connectivity and no phone: its event clips are in the cloud exactly once, the phone uploads none of them again', () => {
    const r = spawnSync(
      'npm',
      [
        'start',
        '--silent',
        '--',
        '--exit',
        '--json',
        '--scenario',
        'connected-camera',
        '--speed',
        '50',
        '--cameras',
        'small',
        '--device-memory',
        '64MiB',
        '--phone-storage',
        '256MiB',
        '--data',
        join(dir, 'connected'),
      ],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(r.stderr).not.toMatch(/ringclip-sim:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^device +uploaded the clip of ev-000001 over cellular/m);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as SimulationSummary;
    const events = summary.device.events;
    expect(events.map((e) => e.kind)).toEqual(['hard-brake', 'collision']);
    expect(summary.uplink!.clips).toHaveLength(2);
    expect(summary.uplink!.phoneUploadedAgain).toBe(0);
    expect(summary.uplink!.used).toBeLessThanOrEqual(summary.uplink!.budget);
    // exactly once: one cloud clip per event (plus the phone's manual cabin clip), each the dashcam's
    const eventClips = summary.cloud.clips.filter((c) => c.kind !== 'manual');
    expect(eventClips.map((c) => c.kind).sort()).toEqual(['collision', 'hard-brake']);
    expect(eventClips.map((c) => c.id).sort()).toEqual([...summary.uplink!.clips].sort());
    expect(new Set(summary.cloud.clips.map((c) => c.id)).size).toBe(summary.cloud.clips.length);
    // the phone fetched none of them: it lists them from the cloud
    expect(summary.phone.clips.filter((c) => c.source === 'event')).toEqual([]);
  });
});
