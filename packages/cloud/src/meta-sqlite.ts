/** Metadata in an embedded SQLite database (better-sqlite3, WAL): the zero-configuration default. */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
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

export class SqliteMetaStore implements MetaStore {
  readonly kind = 'sqlite' as const;
  #db: Database.Database;

  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('foreign_keys = ON');
  }

  async init(): Promise<void> {
    this.#db.transaction(() => {
      for (const s of SCHEMA_SQL) this.#db.exec(s);
      for (const m of MIGRATIONS) {
        if (this.#db.prepare('SELECT 1 FROM settings WHERE key = ?').get(m.name)) continue;
        this.#db.exec(m.sqlite);
        this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(m.name, new Date().toISOString());
      }
    })();
  }
  async close(): Promise<void> {
    this.#db.close();
  }

  // Each statement is compiled once: preparing it again on every call was ~6 % of a ranged
  // video GET's CPU (token and clip lookups) in bench/suites/10-serve.js's profile.
  #statements = new Map<string, Database.Statement>();
  #sql(text: string): Database.Statement {
    let s = this.#statements.get(text);
    if (!s) {
      s = this.#db.prepare(text);
      this.#statements.set(text, s);
    }
    return s;
  }

  async ensureUser(name: string): Promise<User> {
    this.#sql('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(
      randomUUID(),
      name,
      Date.now(),
    );
    const r = this.#sql('SELECT * FROM users WHERE name = ?').get(name) as {
      id: string;
      name: string;
      created_at: number;
    };
    return { id: r.id, name: r.name, createdAt: r.created_at };
  }
  async getUser(id: string): Promise<User | null> {
    const r = this.#sql('SELECT * FROM users WHERE id = ?').get(id) as
      { id: string; name: string; created_at: number } | undefined;
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async addToken(hash: string, userId: string, label: string): Promise<void> {
    this.#sql('INSERT INTO tokens (hash, user_id, label, created_at) VALUES (?, ?, ?, ?)').run(
      hash,
      userId,
      label,
      Date.now(),
    );
  }
  async userByToken(hash: string): Promise<User | null> {
    const r = this.#sql(
      'SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL',
    ).get(hash) as { id: string; name: string; created_at: number } | undefined;
    return r ? { id: r.id, name: r.name, createdAt: r.created_at } : null;
  }
  async revokeToken(hash: string): Promise<boolean> {
    return (
      this.#sql('UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL').run(Date.now(), hash)
        .changes > 0
    );
  }

  async insertClip(row: ClipRow): Promise<boolean> {
    const sql = `INSERT INTO clips (${CLIP_COLUMNS.join(', ')}) VALUES (${CLIP_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
    return this.#sql(sql).run(...clipToParams(row)).changes > 0;
  }
  async getClip(userId: string, id: string): Promise<ClipRow | null> {
    const r = this.#sql('SELECT * FROM clips WHERE user_id = ? AND id = ?').get(userId, id);
    return r ? clipFromRow(r) : null;
  }
  async updateClip(row: ClipRow): Promise<boolean> {
    const p = clipToParams({ ...row, version: row.version + 1 });
    const sets = CLIP_COLUMNS.slice(2)
      .map((c) => `${c} = ?`)
      .join(', ');
    const ok =
      this.#sql(`UPDATE clips SET ${sets} WHERE user_id = ? AND id = ? AND version = ?`).run(
        ...p.slice(2),
        row.userId,
        row.id,
        row.version,
      ).changes > 0;
    if (ok) row.version += 1;
    return ok;
  }
  async deleteClip(userId: string, id: string): Promise<void> {
    this.#db.transaction(() => {
      this.#sql('DELETE FROM shares WHERE user_id = ? AND clip_id = ?').run(userId, id);
      this.#sql('DELETE FROM clips WHERE user_id = ? AND id = ?').run(userId, id);
    })();
  }
  async listClips(userId: string, q: ListQuery): Promise<ClipRow[]> {
    const { sql, params } = listWhere(userId, q, () => '?');
    return this.#sql(sql)
      .all(...params)
      .map(clipFromRow);
  }
  async clipsInState(state: ClipState, limit: number): Promise<ClipRow[]> {
    return this.#sql('SELECT * FROM clips WHERE state = ? LIMIT ?').all(state, limit).map(clipFromRow);
  }

  async addShare(s: ShareRow): Promise<void> {
    this.#sql(
      'INSERT INTO shares (id, hash, user_id, clip_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(s.id, s.hash, s.userId, s.clipId, s.createdAt, s.expiresAt, s.revokedAt);
  }
  async shareByHash(hash: string): Promise<ShareRow | null> {
    const r = this.#sql('SELECT * FROM shares WHERE hash = ?').get(hash);
    return r ? shareFromRow(r) : null;
  }
  async listShares(userId: string, clipId: string): Promise<ShareRow[]> {
    return this.#sql('SELECT * FROM shares WHERE user_id = ? AND clip_id = ? ORDER BY created_at DESC')
      .all(userId, clipId)
      .map(shareFromRow);
  }
  async revokeShare(userId: string, clipId: string, shareId: string, at: number): Promise<boolean> {
    return (
      this.#sql(
        'UPDATE shares SET revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ? AND clip_id = ? AND id = ?',
      ).run(at, userId, clipId, shareId).changes > 0
    );
  }
  async revokeShares(userId: string, clipId: string, at: number): Promise<void> {
    this.#sql('UPDATE shares SET revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ? AND clip_id = ?').run(
      at,
      userId,
      clipId,
    );
  }
  async setting(key: string, value: string): Promise<string> {
    this.#sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(key, value);
    return (this.#sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
  }
}
