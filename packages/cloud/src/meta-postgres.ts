/**
 * Metadata in PostgreSQL: several service instances share it. Tables live in one schema
 * (DATABASE_SCHEMA); creating them is serialized by an advisory lock so instances can
 * start together.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  CLIP_COLUMNS,
  MIGRATIONS,
  SCHEMA_SQL,
  clipFromRow,
  clipToParams,
  listWhere,
  shareFromRow,
  type ClipRow,
  type ClipState,
  type ListQuery,
  type MetaStore,
  type ShareRow,
  type User,
} from './meta.js';

// BIGINT columns come back as strings by default; all of ours are ms or byte counts < 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * `work` inside BEGIN/COMMIT on one connection. On failure the transaction is rolled back and
 * the failure thrown; if the rollback fails too, the connection is destroyed (never returned
 * to the pool mid-transaction) and both errors are thrown together.
 */
async function inTransaction(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<void>): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await work(c);
    await c.query('COMMIT');
  } catch (e) {
    try {
      await c.query('ROLLBACK');
    } catch (rollback) {
      c.release(rollback as Error);
      throw new AggregateError(
        [e, rollback],
        `${(e as Error).message} (and the rollback failed: ${(rollback as Error).message})`,
      );
    }
    c.release();
    throw e;
  }
  c.release();
}

export class PostgresMetaStore implements MetaStore {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly schema: string;

  constructor(connectionString: string, schema: string) {
    this.schema = schema;
    this.pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` });
  }

  async init(): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`ringclip-schema-${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      for (const s of SCHEMA_SQL) await c.query(s);
      for (const m of MIGRATIONS) {
        if ((await c.query('SELECT 1 FROM settings WHERE key = $1', [m.name])).rowCount) continue;
        await c.query(m.postgres);
        await c.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [m.name, new Date().toISOString()]);
      }
    });
  }
  async close(): Promise<void> {
    await this.pool.end();
  }

  async #one<T>(sql: string, params: unknown[]): Promise<T | undefined> {
    return (await this.pool.query(sql, params)).rows[0] as T | undefined;
  }

  async ensureUser(name: string): Promise<User> {
    await this.pool.query(
      'INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
      [randomUUID(), name, Date.now()],
    );
    const r = (await this.#one<{ id: string; name: string; created_at: number }>(
      'SELECT * FROM users WHERE name = $1',
      [name],
    ))!;
    return { id: r.id, name: r.name, createdAt: r.created_at };
  }
  async getUser(id: string): Promise<User | null> {
    const r = await this.#one<{ id: string; name: string; created_at: number }>('SELECT * FROM users WHERE id = $1', [
      id,
    ]);
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async addToken(hash: string, userId: string, label: string): Promise<void> {
    await this.pool.query('INSERT INTO tokens (hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)', [
      hash,
      userId,
      label,
      Date.now(),
    ]);
  }
  async userByToken(hash: string): Promise<User | null> {
    const r = await this.#one<{ id: string; name: string; created_at: number }>(
      'SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_at IS NULL',
      [hash],
    );
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async revokeToken(hash: string): Promise<boolean> {
    return (
      ((
        await this.pool.query('UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL', [
          Date.now(),
          hash,
        ])
      ).rowCount ?? 0) > 0
    );
  }

  async insertClip(row: ClipRow): Promise<boolean> {
    const sql = `INSERT INTO clips (${CLIP_COLUMNS.join(', ')}) VALUES (${CLIP_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING`;
    return ((await this.pool.query(sql, clipToParams(row))).rowCount ?? 0) > 0;
  }
  async getClip(userId: string, id: string): Promise<ClipRow | null> {
    const r = await this.#one('SELECT * FROM clips WHERE user_id = $1 AND id = $2', [userId, id]);
    return r ? clipFromRow(r) : null;
  }
  async updateClip(row: ClipRow): Promise<boolean> {
    const p = clipToParams({ ...row, version: row.version + 1 }).slice(2);
    const sets = CLIP_COLUMNS.slice(2)
      .map((c, i) => `${c} = $${i + 1}`)
      .join(', ');
    const n = p.length;
    const r = await this.pool.query(
      `UPDATE clips SET ${sets} WHERE user_id = $${n + 1} AND id = $${n + 2} AND version = $${n + 3}`,
      [...p, row.userId, row.id, row.version],
    );
    const ok = (r.rowCount ?? 0) > 0;
    if (ok) row.version += 1;
    return ok;
  }
  async deleteClip(userId: string, id: string): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query('DELETE FROM shares WHERE user_id = $1 AND clip_id = $2', [userId, id]);
      await c.query('DELETE FROM clips WHERE user_id = $1 AND id = $2', [userId, id]);
    });
  }
  async listClips(userId: string, q: ListQuery): Promise<ClipRow[]> {
    const { sql, params } = listWhere(userId, q, (i) => `$${i}`);
    return (await this.pool.query(sql, params)).rows.map(clipFromRow);
  }
  async clipsInState(state: ClipState, limit: number): Promise<ClipRow[]> {
    return (await this.pool.query('SELECT * FROM clips WHERE state = $1 LIMIT $2', [state, limit])).rows.map(
      clipFromRow,
    );
  }

  async addShare(s: ShareRow): Promise<void> {
    await this.pool.query(
      'INSERT INTO shares (id, hash, user_id, clip_id, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [s.id, s.hash, s.userId, s.clipId, s.createdAt, s.expiresAt, s.revokedAt],
    );
  }
  async shareByHash(hash: string): Promise<ShareRow | null> {
    const r = await this.#one('SELECT * FROM shares WHERE hash = $1', [hash]);
    return r ? shareFromRow(r) : null;
  }
  async listShares(userId: string, clipId: string): Promise<ShareRow[]> {
    return (
      await this.pool.query('SELECT * FROM shares WHERE user_id = $1 AND clip_id = $2 ORDER BY created_at DESC', [
        userId,
        clipId,
      ])
    ).rows.map(shareFromRow);
  }
  async revokeShare(userId: string, clipId: string, shareId: string, at: number): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE shares SET revoked_at = COALESCE(revoked_at, $1) WHERE user_id = $2 AND clip_id = $3 AND id = $4',
      [at, userId, clipId, shareId],
    );
    return (r.rowCount ?? 0) > 0;
  }
  async revokeShares(userId: string, clipId: string, at: number): Promise<void> {
    await this.pool.query(
      'UPDATE shares SET revoked_at = COALESCE(revoked_at, $1) WHERE user_id = $2 AND clip_id = $3',
      [at, userId, clipId],
    );
  }
  async setting(key: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return (await this.#one<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]))!.value;
  }
}
