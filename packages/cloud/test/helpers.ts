/**
 * Test harness: clips made by the engine from the repository's fixtures, and a running
 * service on 127.0.0.1 for each back end (SQLite + folder; PostgreSQL + s3rver).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { SegmentStore } from '../../../lib/index.js';
import { T0, recordInterleaved } from '../../../test/helpers/store.js';
import { FIXTURES } from '../../../test/helpers/tools.js';
import { loadConfig, type Config } from '../src/config.js';
import { createServer, type Server } from '../src/server.js';

export { T0 };

export function tempDir(prefix = 'ringclip-cloud-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A dual (road + cabin) MP4 written by ringclip: `seconds` long starting at T0 + startS. */
export async function makeClip(
  dir: string,
  seconds = 6,
  opts: { startS?: number; streams?: string[]; name?: string } = {},
): Promise<{ path: string; bytes: Buffer }> {
  const ring = join(dir, `${randomBytes(4).toString('hex')}.ring`);
  const store = await SegmentStore.create(ring, { capacity: '64MiB', segmentSize: '4MiB', streams: ['road', 'cabin'] });
  const startS = opts.startS ?? 0;
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    startS + seconds + 1,
  );
  const clip = store.clip({ from: T0 + startS * 1e6, to: T0 + (startS + seconds) * 1e6, streams: opts.streams });
  const path = join(dir, opts.name ?? `${randomBytes(4).toString('hex')}.mp4`);
  await clip.writeMP4(path);
  clip.release();
  await store.close();
  rmSync(ring, { force: true });
  return { path, bytes: readFileSync(path) };
}

export const isCI = process.env.CI === 'true' || process.env.CI === '1';
export const pgUrl = process.env.RINGCLIP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Is PostgreSQL reachable? In CI a missing PostgreSQL is an error, never a skip. */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch (e) {
    if (isCI)
      throw new Error(`PostgreSQL is required in CI (RINGCLIP_TEST_DATABASE_URL=${pgUrl}): ${(e as Error).message}`);
    console.warn(
      `PostgreSQL tests skipped: cannot reach ${pgUrl} (${(e as Error).message}); set RINGCLIP_TEST_DATABASE_URL`,
    );
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** starts one service instance (several share the same stores) */
  start(overrides?: Partial<Config>): Promise<Server>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const tmp = tempDir();
  return {
    name: 'sqlite',
    start: async (overrides = {}) => {
      const s = await createServer(loadConfig({ dataDir: tmp.dir, port: 0, host: '127.0.0.1', ...overrides }, {}));
      await s.listen();
      return s;
    },
    cleanup: async () => tmp.cleanup(),
  };
}

export async function postgresBackend(): Promise<Backend> {
  const { default: S3rver } = await import('s3rver');
  const tmp = tempDir();
  const schema = `rc_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(tmp.dir, 's3'),
    configureBuckets: [{ name: 'clips', configs: [] }],
  });
  const addr = (await s3.run()) as { address: string; port: number };
  const env = {
    DATABASE_URL: pgUrl,
    DATABASE_SCHEMA: schema,
    S3_ENDPOINT: `http://127.0.0.1:${addr.port}`,
    S3_BUCKET: 'clips',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    RINGCLIP_QUEUE_POLL: '0.5',
  };
  let n = 0;
  return {
    name: 'postgres',
    start: async (overrides = {}) => {
      // each instance gets its own data dir (upload staging and read cache are per machine)
      const s = await createServer(
        loadConfig({ dataDir: join(tmp.dir, `instance-${n++}`), port: 0, host: '127.0.0.1', ...overrides }, env),
      );
      await s.listen();
      return s;
    },
    cleanup: async () => {
      await s3.close();
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
      await c.end();
      tmp.cleanup();
    },
  };
}

/** A small HTTP client for the API. */
export class Api {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }
  fetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    return fetch(this.base + path, { ...init, headers: this.headers(init.headers) });
  }
  async json(
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: any; res: Response }> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, res };
  }
  upload(id: string, bytes: Buffer | Uint8Array, range?: { start: number; total: number }) {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.start + bytes.length - 1}/${range.total}`;
    return this.json(`/v1/clips/${id}`, { method: 'PUT', body: bytes, headers });
  }
  metadata(id: string, meta: unknown) {
    return this.json(`/v1/clips/${id}/metadata`, {
      method: 'PUT',
      body: JSON.stringify(meta),
      headers: { 'content-type': 'application/json' },
    });
  }
}

export async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function trace(seconds: number, rate = 50, hitAt = seconds / 2): number[][] {
  const out: number[][] = [];
  for (let i = 0; i <= seconds * rate; i++) {
    const t = i / rate;
    const hit = Math.exp(-((t - hitAt) ** 2) / 0.02);
    out.push([t, 0.05 * Math.sin(t * 3) - 1.2 * hit, 0.03 * Math.cos(t * 5) + 0.4 * hit, 1 + 0.02 * Math.sin(t * 7)]);
  }
  return out;
}

/**
 * A SQLite-backed service for the tests of one describe block, with alice's client: started
 * before them, closed (and its folders removed) after. Read the fields inside tests.
 */
export function useSqliteService(): { tmp: { dir: string }; server: Server; api: Api } {
  const tmp = tempDir();
  let backend: Backend | undefined;
  const ctx = { tmp, server: undefined as unknown as Server, api: undefined as unknown as Api };
  beforeAll(async () => {
    backend = sqliteBackend();
    ctx.server = await backend.start();
    ctx.api = new Api(ctx.server.url, (await ctx.server.service.createToken('alice')).token);
  });
  afterAll(async () => {
    await ctx.server?.close();
    await backend?.cleanup();
    tmp.cleanup();
  });
  return ctx;
}

/**
 * The phone app's CLI (`ringclip-app`, packages/app/dist/cli.js), built from its sources
 * before the tests when they are newer; run() starts it in a child process, asynchronously:
 * the server answering it runs in the test's process.
 */
export function useAppCli(): (args: string[]) => Promise<{ status: number | null; stdout: string; stderr: string }> {
  const app = fileURLToPath(new URL('../../app/', import.meta.url));
  beforeAll(() => {
    const cli = `${app}dist/cli.js`;
    const newest = Math.max(
      ...readdirSync(`${app}src`, { recursive: true }).map((f) => statSync(`${app}src/${String(f)}`).mtimeMs),
    );
    if (existsSync(cli) && statSync(cli).mtimeMs >= newest) return;
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [`${app}dist/cli.js`, ...args], {
        env: { ...process.env, RINGCLIP_APP_DATA: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
}
