/**
 * Configuration: embedded by default (SQLite + a local folder under the data directory),
 * distributed when DATABASE_URL (PostgreSQL) and S3_BUCKET (any S3-compatible store) are set.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface S3Config {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (http://host/bucket/key): what MinIO, Ceph and s3rver need. */
  forcePathStyle: boolean;
  /** Key prefix inside the bucket (lets several deployments share one bucket). */
  prefix: string;
}

export interface Config {
  host: string;
  port: number;
  /** Data directory: SQLite database, local blobs, upload staging and the read cache. */
  dataDir: string;
  /** PostgreSQL connection string; unset means embedded SQLite. */
  databaseUrl?: string;
  /** PostgreSQL schema for the tables (and `${schema}_queue` for pg-boss). */
  databaseSchema: string;
  /** S3 settings; unset means blobs in `${dataDir}/blobs`. */
  s3?: S3Config;
  /** Largest clip accepted, bytes. */
  maxClipBytes: number;
  /** Largest gsensor trace (samples). */
  maxTraceSamples: number;
  /** Lifetime of signed video URLs handed to browsers, seconds. */
  videoUrlTtl: number;
  /** Default and longest share-link lifetime, seconds. */
  shareTtlDefault: number;
  shareTtlMax: number;
  /** Local cache of stored clips (needed to cut per-track MP4s from S3 objects), bytes. */
  cacheBytes: number;
  /** Public base URL for share links (default: this server's address when on loopback). */
  publicUrl?: string;
  /** Build share links from the request's Host when no publicUrl is set (behind a proxy that sets it). */
  trustHost: boolean;
  /** HMAC key for signed video URLs; default: generated once and kept in the metadata store. */
  secret?: string;
  /** Unfinished uploads untouched this long (seconds) are deleted. */
  abandonedUploadSeconds: number;
  /** Per-user request budget: API requests served at once per user; more wait (user-budget.ts). */
  userInFlight: number;
  /** Per-user request budget: requests that may wait; past them a 429 with Retry-After. */
  userQueue: number;
  /** Seconds between pg-boss polls. */
  queuePollSeconds: number;
  logger: boolean;
}

function num(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RINGCLIP_DATA ? resolve(env.RINGCLIP_DATA) : join(homedir(), '.ringclip-cloud');
}

export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const bucket = env.S3_BUCKET;
  const s3: S3Config | undefined = bucket
    ? {
        endpoint: env.S3_ENDPOINT || undefined,
        bucket,
        region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
        accessKeyId: env.S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || undefined,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || undefined,
        forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
        prefix: env.S3_PREFIX || '',
      }
    : undefined;
  const base: Config = {
    host: env.HOST || '127.0.0.1',
    port: num(env.PORT, 8080, 'PORT'),
    dataDir: defaultDataDir(env),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || 'ringclip',
    s3,
    maxClipBytes: num(env.RINGCLIP_MAX_CLIP_BYTES, 1024 * 1024 * 1024, 'RINGCLIP_MAX_CLIP_BYTES'),
    maxTraceSamples: 200_000,
    videoUrlTtl: num(env.RINGCLIP_VIDEO_URL_TTL, 3600, 'RINGCLIP_VIDEO_URL_TTL'),
    shareTtlDefault: 7 * 86400,
    shareTtlMax: 365 * 86400,
    cacheBytes: num(env.RINGCLIP_CACHE_BYTES, 4 * 1024 * 1024 * 1024, 'RINGCLIP_CACHE_BYTES'),
    publicUrl: env.RINGCLIP_PUBLIC_URL || undefined,
    trustHost: env.RINGCLIP_TRUST_HOST === '1',
    secret: env.RINGCLIP_SECRET || undefined,
    abandonedUploadSeconds: num(env.RINGCLIP_ABANDONED_UPLOAD_SECONDS, 7 * 86400, 'RINGCLIP_ABANDONED_UPLOAD_SECONDS'),
    queuePollSeconds: num(env.RINGCLIP_QUEUE_POLL, 1, 'RINGCLIP_QUEUE_POLL'),
    userInFlight: Math.max(1, Math.floor(num(env.RINGCLIP_USER_INFLIGHT, 4, 'RINGCLIP_USER_INFLIGHT'))),
    userQueue: Math.floor(num(env.RINGCLIP_USER_QUEUE, 64, 'RINGCLIP_USER_QUEUE')),
    logger: env.RINGCLIP_LOG === '1',
  };
  const c = { ...base, ...overrides };
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(c.databaseSchema))
    throw new Error(
      `DATABASE_SCHEMA must be a plain lower-case SQL identifier, got ${JSON.stringify(c.databaseSchema)}`,
    );
  c.dataDir = resolve(c.dataDir);
  return c;
}
