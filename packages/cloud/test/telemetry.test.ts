/**
 * Telemetry lives in the clip file: GET /v1/clips/:id/telemetry is derived from the clip's
 * camm track (decoded once per stored file), downsampled by query, conditional on an ETag
 * tied to the bytes; exports are GPX 1.1 (parsed here by a real XML parser) and CSV; the
 * legacy gsensor metadata field is accepted and never kept, and old rows are migrated.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Api,
  T0,
  makeClip,
  pgUrl,
  postgresAvailable,
  sqliteBackend,
  tempDir,
  trace,
  useAppCli,
  type Backend,
} from './helpers.js';
import { makeTelemetryClip, route } from './telemetry-fixture.js';
import type { Server } from '../src/server.js';
import { PostgresMetaStore } from '../src/meta-postgres.js';
import { SqliteMetaStore } from '../src/meta-sqlite.js';
import { newRow } from '../src/service/context.js';

const tmp = tempDir();
let backend: Backend;
let server: Server;
let alice: Api;
let bob: Api;
let withTelemetry: { bytes: Buffer; gpsTimes: number[]; accelCount: number };
let plain: Buffer;
let id: string;

async function upload(api: Api, bytes: Buffer, meta?: Record<string, unknown>): Promise<string> {
  const clipId = randomUUID();
  if (meta) expect((await api.metadata(clipId, meta)).status).toBe(200);
  const r = await api.upload(clipId, bytes);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return clipId;
}

beforeAll(async () => {
  backend = sqliteBackend();
  server = await backend.start();
  alice = new Api(server.url, (await server.service.createToken('alice')).token);
  bob = new Api(server.url, (await server.service.createToken('bob')).token);
  withTelemetry = await makeTelemetryClip(tmp.dir, { seconds: 6, brakeAt: 3 });
  plain = (await makeClip(tmp.dir, 3)).bytes;
  id = await upload(alice, withTelemetry.bytes, { kind: 'hard_brake', eventOffset: 3 });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await backend?.cleanup();
  tmp.cleanup();
});

describe('GET /v1/clips/:id/telemetry', () => {
  it('is the camm track of the clip file: every GPS fix on the simulated route, the full 100 Hz accelerometer trace', async () => {
    const r = await alice.json(`/v1/clips/${id}/telemetry`);
    expect(r.status).toBe(200);
    expect(r.res.headers.get('content-type')).toMatch(/^application\/json/);
    const b = r.body;
    expect(b).toMatchObject({ id, source: 'camm', start: new Date(T0 / 1000).toISOString() });
    expect(b.gps.fields).toEqual(['t', 'lat', 'lon', 'alt', 'speed', 'heading']);
    expect(b.gps.samples).toBe(withTelemetry.gpsTimes.length);
    expect(b.gps.points).toHaveLength(withTelemetry.gpsTimes.length);
    for (const [t, lat, lon, alt, speed, heading] of b.gps.points as number[][]) {
      const p = route(t!);
      expect(lat).toBeCloseTo(p.lat, 6);
      expect(lon).toBeCloseTo(p.lon, 6);
      expect(alt).toBeCloseTo(p.alt, 1);
      expect(speed).toBeCloseTo(Math.hypot(p.east, p.north), 2);
      expect(heading).toBeCloseTo(((Math.atan2(p.east, p.north) * 180) / Math.PI + 360) % 360, 0);
    }
    expect(b.accel.units).toEqual(['s', 'm/s2', 'm/s2', 'm/s2']);
    expect(b.accel.samples).toBe(withTelemetry.accelCount);
    const brake = (b.accel.points as number[][]).filter((p) => p[1]! < -7);
    expect(brake.length).toBeGreaterThanOrEqual(9);
    expect(brake[0]![0]).toBeCloseTo(3, 1);
    // The list row and the clip's JSON say there is a trace, and carry none.
    const c = (await alice.json(`/v1/clips/${id}`)).body;
    expect(c).toMatchObject({ hasTrace: true });
    expect(c).not.toHaveProperty('gsensor');
  });

  it('downsamples by maxPoints and hz, keeping the brake spike', async () => {
    const few = (await alice.json(`/v1/clips/${id}/telemetry?maxPoints=20`)).body;
    expect(few.gps.points.length).toBeLessThanOrEqual(20);
    expect(few.gps.points.length).toBeGreaterThanOrEqual(15);
    expect(few.accel.points.length).toBeLessThanOrEqual(20);
    expect(Math.min(...few.accel.points.map((p: number[]) => p[1]))).toBeCloseTo(-7.5, 2);
    const slow = (await alice.json(`/v1/clips/${id}/telemetry?hz=2`)).body;
    expect(slow.gps.points.length).toBeGreaterThanOrEqual(11);
    expect(slow.gps.points.length).toBeLessThanOrEqual(13);
    expect(slow.downsampling).toEqual({ maxPoints: 5000, hz: 2 });
    const gaps = (slow.gps.points as number[][]).slice(1).map((p, i) => p[0]! - slow.gps.points[i][0]);
    for (const g of gaps) expect(g).toBeCloseTo(0.5, 5);
  });

  it('refuses a bad query with a 400 that says what is allowed', async () => {
    for (const [q, msg] of [
      ['maxPoints=0', /maxPoints/],
      ['maxPoints=abc', /maxPoints/],
      ['maxPoints=5000000', /maxPoints/],
      ['hz=-1', /hz/],
      ['hz=abc', /hz/],
      ['hz=0', /hz/],
      ['format=xml', /format/],
      ['colour=red', /unknown telemetry parameter 'colour'/],
      ['maxPoints=5&maxPoints=6', /maxPoints/],
    ] as const) {
      const r = await alice.json(`/v1/clips/${id}/telemetry?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.message, q).toMatch(msg);
    }
    expect((await alice.json(`/v1/clips/${id}/telemetry.gpx?format=csv`)).status).toBe(400);
  });

  it('has the same access rules as the video: a token of the owner, 404 for others', async () => {
    const anon = new Api(server.url);
    expect((await anon.json(`/v1/clips/${id}/telemetry`)).status).toBe(401);
    expect((await bob.json(`/v1/clips/${id}/telemetry`)).status).toBe(404);
    expect((await bob.json(`/v1/clips/${id}/telemetry.gpx`)).status).toBe(404);
    expect((await alice.json(`/v1/clips/${randomUUID()}/telemetry`)).status).toBe(404);
    expect((await alice.json(`/v1/clips/not-a-uuid/telemetry`)).status).toBe(400);
  });

  it('is decoded once per stored file and answered with a strong ETag tied to its bytes', async () => {
    const fresh = await upload(alice, withTelemetry.bytes);
    const before = server.service.telemetry.decodes;
    const a = await alice.fetch(`/v1/clips/${fresh}/telemetry`);
    const etag = a.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}-t\d+-json-5000-0"$/);
    const sha = (await alice.json(`/v1/clips/${fresh}`)).body.sha256 as string;
    expect(etag.slice(1, 33)).toBe(sha.slice(0, 32));
    const same = await alice.fetch(`/v1/clips/${fresh}/telemetry`, { headers: { 'if-none-match': etag } });
    expect(same.status).toBe(304);
    for (const q of ['maxPoints=50', 'hz=5', 'maxPoints=50']) {
      const r = await alice.fetch(`/v1/clips/${fresh}/telemetry?${q}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('etag')).not.toBe(etag);
    }
    await alice.fetch(`/v1/clips/${fresh}/telemetry.gpx`);
    await alice.fetch(`/v1/clips/${fresh}/telemetry.csv`);
    expect(server.service.telemetry.decodes - before).toBe(1);
  });

  it('is an empty series, not an error, for a clip without a camm track', async () => {
    const other = await upload(alice, plain);
    const r = await alice.json(`/v1/clips/${other}/telemetry`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      source: 'none',
      gps: { samples: 0, points: [] },
      accel: { samples: 0, points: [] },
    });
    expect((await alice.json(`/v1/clips/${other}`)).body.hasTrace).toBe(false);
    const gpx = await alice.fetch(`/v1/clips/${other}/telemetry.gpx`);
    expect(gpx.status).toBe(200);
    expect(XMLValidator.validate(await gpx.text())).toBe(true);
  });

  it('is kept by a trim (the engine cuts the camm track with the video), re-timed to the trim', async () => {
    const t = await alice.json(`/v1/clips/${id}/trim?wait=30`, {
      method: 'POST',
      body: JSON.stringify({ from: 2, to: 4, exact: true }),
      headers: { 'content-type': 'application/json' },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    expect(t.body.hasTrace).toBe(true);
    const r = (await alice.json(`/v1/clips/${t.body.id}/telemetry`)).body;
    expect(r.gps.points.length).toBeGreaterThanOrEqual(19);
    expect(r.gps.points.length).toBeLessThanOrEqual(21);
    const [t0, lat0] = r.gps.points[0] as number[];
    expect(t0).toBeGreaterThanOrEqual(-0.001);
    expect(lat0).toBeCloseTo(route(2 + t0!).lat, 6);
    expect(Math.min(...r.accel.points.map((p: number[]) => p[1]))).toBeCloseTo(-7.5, 2);
    const brake = (r.accel.points as number[][]).find((p) => p[1]! < -7)!;
    expect(brake[0]).toBeCloseTo(1, 1);
  });
});

describe('exports', () => {
  it('GPX 1.1: a trkpt per fix on the route, UTC times from the clip start, elevation and speed', async () => {
    const res = await alice.fetch(`/v1/clips/${id}/telemetry.gpx`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/gpx\+xml/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.gpx"/);
    const text = await res.text();
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseAttributeValue: false }).parse(
      text,
    );
    expect(doc.gpx['@version']).toBe('1.1');
    expect(doc.gpx['@xmlns']).toBe('http://www.topografix.com/GPX/1/1');
    const points = doc.gpx.trk.trkseg.trkpt as Array<Record<string, any>>;
    expect(points).toHaveLength(withTelemetry.gpsTimes.length);
    points.forEach((p, i) => {
      const s = withTelemetry.gpsTimes[i]!;
      const want = route(s);
      expect(Number(p['@lat'])).toBeCloseTo(want.lat, 6);
      expect(Number(p['@lon'])).toBeCloseTo(want.lon, 6);
      expect(Number(p.ele)).toBeCloseTo(want.alt, 1);
      expect(Date.parse(p.time)).toBe(Math.round(T0 / 1000 + s * 1000));
      expect(Number(p.extensions['gpxtpx:TrackPointExtension']['gpxtpx:speed'])).toBeCloseTo(
        Math.hypot(want.east, want.north),
        2,
      );
    });
    // The same through ?format=, thinned
    const few = await alice.fetch(`/v1/clips/${id}/telemetry?format=gpx&maxPoints=10`);
    const thin = new XMLParser({ ignoreAttributes: false }).parse(await few.text());
    expect(thin.gpx.trk.trkseg.trkpt.length).toBeLessThanOrEqual(10);
  });

  it('CSV with a header: GPS and accelerometer rows in time order', async () => {
    const res = await alice.fetch(`/v1/clips/${id}/telemetry.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    const header = lines[0]!.split(',');
    expect(header).toEqual([
      'kind',
      't_s',
      'time_utc',
      'lat_deg',
      'lon_deg',
      'alt_m',
      'speed_mps',
      'heading_deg',
      'ax_mps2',
      'ay_mps2',
      'az_mps2',
    ]);
    const rows = lines.slice(1).map((l) => l.split(','));
    for (const r of rows) expect(r).toHaveLength(header.length);
    const gps = rows.filter((r) => r[0] === 'gps');
    const acc = rows.filter((r) => r[0] === 'accel');
    expect(gps).toHaveLength(withTelemetry.gpsTimes.length);
    expect(acc).toHaveLength(withTelemetry.accelCount);
    const times = rows.map((r) => Number(r[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const g = gps[25]!;
    expect(Number(g[3])).toBeCloseTo(route(Number(g[1])).lat, 6);
    expect(Date.parse(g[2]!)).toBe(Math.round(T0 / 1000 + Number(g[1]) * 1000));
    expect(Number(acc[0]![9])).toBeCloseTo(-9.81, 3);
  });
});

describe('ringclip-app export-telemetry (the app CLI, from its built dist/)', () => {
  const run = useAppCli();

  it('writes the GPX of a cloud clip, with the cloud given or the one the app signed in to', async () => {
    const out = join(tmp.dir, 'route.gpx');
    const r = await run([
      'export-telemetry',
      id,
      '--format',
      'gpx',
      '--out',
      out,
      '--cloud',
      server.url,
      '--token',
      alice.token!,
      '--data',
      join(tmp.dir, 'app-a'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(readFileSync(out, 'utf8'));
    expect(doc.gpx.trk.trkseg.trkpt).toHaveLength(withTelemetry.gpsTimes.length);
    // Signed in before (settings.json of the app's data folder): CSV to stdout.
    const data = join(tmp.dir, 'app-b');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'settings.json'), JSON.stringify({ cloud: { url: server.url, token: alice.token } }));
    const csv = await run(['export-telemetry', id, '--format', 'csv', '--data', data]);
    expect(csv.status, csv.stderr).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^kind,t_s,time_utc,lat_deg/);
    expect(csv.stdout.split('\r\n').filter((l) => l.startsWith('gps,'))).toHaveLength(withTelemetry.gpsTimes.length);
  });

  it('says what is wrong: no format, a clip of another user, no cloud', async () => {
    const base = ['--cloud', server.url, '--data', join(tmp.dir, 'app-c')];
    const noFormat = await run(['export-telemetry', id, ...base, '--token', alice.token!]);
    expect(noFormat.status).toBe(1);
    expect(noFormat.stderr).toMatch(/--format gpx or --format csv/);
    const other = await run(['export-telemetry', id, '--format', 'gpx', ...base, '--token', bob.token!]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/answered 404/);
    const none = await run(['export-telemetry', id, '--format', 'gpx', '--data', join(tmp.dir, 'app-d')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/needs a cloud/);
  });
});

describe('the legacy gsensor metadata field', () => {
  it('is checked, accepted and not kept: no row, list or video response grows with a trace', async () => {
    const big = trace(2000, 100); // 200,001 samples
    const legacy = await upload(alice, plain);
    const m = await alice.metadata(legacy, { kind: 'hard_brake', gsensor: big.slice(0, 60_000) });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect(m.body).not.toHaveProperty('gsensor');
    const row = await server.service.meta.getClip(
      (await server.service.authenticate(`Bearer ${alice.token}`)).id,
      legacy,
    );
    expect(row!.meta).not.toHaveProperty('gsensor');
    expect(JSON.stringify(row!.meta).length).toBeLessThan(200);
    expect((await alice.metadata(legacy, { gsensor: [[0, 1, 2]] })).status).toBe(400);
  });

  async function oldRow(store: {
    insertClip: SqliteMetaStore['insertClip'];
    ensureUser: SqliteMetaStore['ensureUser'];
  }) {
    const user = await store.ensureUser(`old-${randomUUID().slice(0, 8)}`);
    const row = newRow(user, randomUUID());
    (row.meta as Record<string, unknown>) = { kind: 'collision', title: 'before the migration', gsensor: trace(10) };
    expect(await store.insertClip(row)).toBe(true);
    return row;
  }

  it('is migrated out of existing SQLite rows once', async () => {
    const dbPath = join(tmp.dir, 'migrate.db');
    const first = new SqliteMetaStore(dbPath);
    await first.init();
    const row = await oldRow(first);
    await first.close();
    // As a database written before the migration existed: no marker.
    const raw = new Database(dbPath);
    raw.prepare("DELETE FROM settings WHERE key LIKE 'migration:%'").run();
    expect(
      JSON.parse((raw.prepare('SELECT meta FROM clips WHERE id = ?').get(row.id) as { meta: string }).meta),
    ).toHaveProperty('gsensor');
    raw.close();
    const store = new SqliteMetaStore(dbPath);
    await store.init();
    const after = (await store.getClip(row.userId, row.id))!;
    expect(after.meta).toEqual({ kind: 'collision', title: 'before the migration' });
    expect(after.version).toBe(row.version + 1);
    await store.close();
  });

  it('is migrated out of existing PostgreSQL rows once', async (ctx) => {
    if (!(await postgresAvailable())) return ctx.skip();
    const schema = `rc_migrate_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      const first = new PostgresMetaStore(pgUrl, schema);
      await first.init();
      const row = await oldRow(first as unknown as SqliteMetaStore);
      await first.close();
      await c.query(`DELETE FROM ${schema}.settings WHERE key LIKE 'migration:%'`);
      const before = await c.query(`SELECT meta FROM ${schema}.clips WHERE id = $1`, [row.id]);
      expect(JSON.parse((before.rows[0] as { meta: string }).meta)).toHaveProperty('gsensor');
      const store = new PostgresMetaStore(pgUrl, schema);
      await store.init();
      const after = (await store.getClip(row.userId, row.id))!;
      expect(after.meta).toEqual({ kind: 'collision', title: 'before the migration' });
      await store.close();
    } finally {
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  });
});
