/**
 * The metadata store: users, tokens, clips, share links and settings. Two implementations
 * pass the same contract tests: SQLite (embedded) and PostgreSQL (shared by instances).
 * Every clip is keyed by (userId, id): two users may even pick the same UUID, so no
 * request can learn whether another user's clip exists.
 */

export type ClipState = 'uploading' | 'processing' | 'ready' | 'failed' | 'deleting';

export interface Location {
  lat: number;
  lon: number;
  accuracy?: number;
  heading?: number;
  speed?: number;
  altitude?: number;
}

export interface TrackInfo {
  /** 'road' | 'cabin' (ringclip clips) or the file's own track name */
  name: string;
  /** which `?track=` serves it */
  role: 'road' | 'cabin';
  width: number;
  height: number;
  samples: number;
  /** seconds from the clip's start to this track's first frame */
  offset: number;
  /** seconds */
  duration: number;
}

export interface UploadPart {
  start: number;
  end: number;
  key: string;
}

export interface ClipMeta {
  kind?: string;
  /** event time, ms since the epoch */
  time?: number;
  /** seconds into the video where the event is */
  eventOffset?: number;
  location?: Location;
  title?: string;
  // Set by the server from the stored file (upload, trim), never by a client: the clip's
  // telemetry and audio live in its file (a camm track, an AAC track), not in this row.
  /** the file has a camm telemetry track */
  hasTelemetry?: boolean;
  /** the file has an audio track */
  hasAudio?: boolean;
}

export interface TrimSpec {
  sourceId: string;
  from: number;
  to: number;
  exact: boolean;
  tracks: Array<'road' | 'cabin'>;
}

export interface ClipRow {
  userId: string;
  id: string;
  state: ClipState;
  /** sort key: the event time, or the upload time when none was given (ms) */
  time: number;
  kind: string;
  meta: ClipMeta;
  /** declared (uploading) or stored size, bytes */
  size: number | null;
  received: number;
  parts: UploadPart[];
  sha256: string | null;
  duration: number | null;
  tracks: TrackInfo[];
  blobKey: string | null;
  trim: TrimSpec | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** optimistic concurrency: every update must name the version it read */
  version: number;
}

export interface User {
  id: string;
  name: string;
  createdAt: number;
}

export interface ShareRow {
  id: string;
  hash: string;
  userId: string;
  clipId: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface ListQuery {
  limit: number;
  kinds?: string[];
  /** ms, inclusive */
  from?: number;
  /** ms, exclusive */
  to?: number;
  /** continue after this (time, id) */
  after?: { time: number; id: string };
  states: ClipState[];
}

export interface MetaStore {
  readonly kind: 'sqlite' | 'postgres';
  init(): Promise<void>;
  close(): Promise<void>;

  ensureUser(name: string): Promise<User>;
  getUser(id: string): Promise<User | null>;
  addToken(hash: string, userId: string, label: string): Promise<void>;
  /** the user of a live (not revoked) token */
  userByToken(hash: string): Promise<User | null>;
  revokeToken(hash: string): Promise<boolean>;

  /** false when (userId, id) already exists */
  insertClip(row: ClipRow): Promise<boolean>;
  getClip(userId: string, id: string): Promise<ClipRow | null>;
  /** compare-and-set on row.version (the version read); bumps it; false when it changed meanwhile */
  updateClip(row: ClipRow): Promise<boolean>;
  /** removes the row and its share links */
  deleteClip(userId: string, id: string): Promise<void>;
  listClips(userId: string, q: ListQuery): Promise<ClipRow[]>;
  clipsInState(state: ClipState, limit: number): Promise<ClipRow[]>;

  addShare(share: ShareRow): Promise<void>;
  shareByHash(hash: string): Promise<ShareRow | null>;
  listShares(userId: string, clipId: string): Promise<ShareRow[]>;
  revokeShare(userId: string, clipId: string, shareId: string, at: number): Promise<boolean>;
  /** revokes every share of a clip (delete makes them fail at once) */
  revokeShares(userId: string, clipId: string, at: number): Promise<void>;

  /** sets the value unless one exists; returns the stored value */
  setting(key: string, value: string): Promise<string>;
}

/** Column order shared by both SQL implementations. */
export const CLIP_COLUMNS = [
  'user_id',
  'id',
  'state',
  'time',
  'kind',
  'meta',
  'size',
  'received',
  'parts',
  'sha256',
  'duration',
  'tracks',
  'blob_key',
  'trim',
  'error',
  'created_at',
  'updated_at',
  'version',
] as const;

export function clipToParams(r: ClipRow): unknown[] {
  return [
    r.userId,
    r.id,
    r.state,
    r.time,
    r.kind,
    JSON.stringify(r.meta),
    r.size,
    r.received,
    JSON.stringify(r.parts),
    r.sha256,
    r.duration,
    JSON.stringify(r.tracks),
    r.blobKey,
    r.trim ? JSON.stringify(r.trim) : null,
    r.error,
    r.createdAt,
    r.updatedAt,
    r.version,
  ];
}

// A row's columns are typed by the driver (SQLite or PostgreSQL), not by TypeScript: this
// mapping is where they get their types.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */
export function clipFromRow(x: any): ClipRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    userId: x.user_id,
    id: x.id,
    state: x.state,
    time: Number(x.time),
    kind: x.kind,
    meta: JSON.parse(x.meta),
    size: n(x.size),
    received: Number(x.received),
    parts: JSON.parse(x.parts),
    sha256: x.sha256 ?? null,
    duration: n(x.duration),
    tracks: JSON.parse(x.tracks),
    blobKey: x.blob_key ?? null,
    trim: x.trim ? JSON.parse(x.trim) : null,
    error: x.error ?? null,
    createdAt: Number(x.created_at),
    updatedAt: Number(x.updated_at),
    version: Number(x.version),
  };
}

export function shareFromRow(x: any): ShareRow {
  return {
    id: x.id,
    hash: x.hash,
    userId: x.user_id,
    clipId: x.clip_id,
    createdAt: Number(x.created_at),
    expiresAt: Number(x.expires_at),
    revokedAt: x.revoked_at === null ? null : Number(x.revoked_at),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */

/** The schema, in SQL both SQLite and PostgreSQL accept (times are ms since the epoch). */
export const SCHEMA_SQL = [
  `CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), label TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS clips (
     user_id TEXT NOT NULL REFERENCES users(id), id TEXT NOT NULL, state TEXT NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL,
     meta TEXT NOT NULL, size BIGINT, received BIGINT NOT NULL, parts TEXT NOT NULL, sha256 TEXT, duration DOUBLE PRECISION,
     tracks TEXT NOT NULL, blob_key TEXT, trim TEXT, error TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     version BIGINT NOT NULL, PRIMARY KEY (user_id, id))`,
  `CREATE INDEX IF NOT EXISTS clips_by_time ON clips (user_id, time DESC, id DESC)`,
  `CREATE INDEX IF NOT EXISTS clips_by_state ON clips (state)`,
  `CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, clip_id TEXT NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT)`,
  `CREATE INDEX IF NOT EXISTS shares_by_clip ON shares (user_id, clip_id)`,
  `CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/**
 * Migrations that run once per database (a row in settings marks each as done), in the
 * transaction that creates the schema. Each is SQL per engine (JSON functions differ).
 */
export const MIGRATIONS: Array<{ name: string; sqlite: string; postgres: string }> = [
  {
    // Rows once held the G-sensor trace in their metadata (up to 200,000 samples, parsed on
    // every list and video request): telemetry is read from the clip file's camm track now.
    name: 'migration:2026-12-gsensor-out-of-rows',
    sqlite: `UPDATE clips SET meta = json_remove(meta, '$.gsensor'), version = version + 1
             WHERE meta LIKE '%"gsensor"%' AND json_type(meta, '$.gsensor') IS NOT NULL`,
    postgres: `UPDATE clips SET meta = (meta::jsonb - 'gsensor')::text, version = version + 1
               WHERE meta LIKE '%"gsensor"%' AND jsonb_exists(meta::jsonb, 'gsensor')`,
  },
];

/** WHERE clause + params for a list query, with a placeholder function ($n or ?). */
export function listWhere(userId: string, q: ListQuery, ph: (i: number) => string): { sql: string; params: unknown[] } {
  const params: unknown[] = [userId];
  const cond = [`user_id = ${ph(1)}`];
  const add = (v: unknown) => {
    params.push(v);
    return ph(params.length);
  };
  cond.push(`state IN (${q.states.map((s) => add(s)).join(', ')})`);
  if (q.kinds?.length) cond.push(`kind IN (${q.kinds.map((k) => add(k)).join(', ')})`);
  if (q.from !== undefined) cond.push(`time >= ${add(q.from)}`);
  if (q.to !== undefined) cond.push(`time < ${add(q.to)}`);
  if (q.after) {
    const t = add(q.after.time);
    const t2 = add(q.after.time);
    const id = add(q.after.id);
    cond.push(`(time < ${t} OR (time = ${t2} AND id < ${id}))`);
  }
  const lim = add(q.limit);
  return { sql: `SELECT * FROM clips WHERE ${cond.join(' AND ')} ORDER BY time DESC, id DESC LIMIT ${lim}`, params };
}
