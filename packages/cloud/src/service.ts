/**
 * The clip service: uploads (resumable, idempotent, validated by the engine), listing,
 * metadata, streaming sources, trims, share links and deletes. Routes are thin wrappers.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob.js';
import { keys } from './blob.js';
import type { Config } from './config.js';
import { HttpError, badRequest, notFound } from './errors.js';
import { LocalCopies } from './local-copies.js';
import { VirtualCache, cutTrim, inspect } from './media.js';
import type { ClipMeta, ClipRow, ClipState, MetaStore, ShareRow, TrimSpec, User } from './meta.js';
import type { JobData, JobName, Queue } from './queue.js';
import { BEARER_SHAPE, SHARE_SHAPE, UrlSigner, hashToken, newBearerToken, newShareToken } from './tokens.js';
import { KIND, clipId, intParam, parseTime } from './validate.js';

export type Track = 'road' | 'cabin' | 'both';
export interface ContentRange { start: number; end: number; total: number }

/** A readable, range-addressable video for the HTTP layer. */
export interface VideoSource {
  size: number;
  etag: string;
  contentType: string;
  lastModified: number;
  read(start: number, endExclusive: number): Promise<Readable>;
}

const VISIBLE: ClipState[] = ['ready', 'processing', 'failed'];

export class Service {
  readonly config: Config;
  readonly meta: MetaStore;
  readonly blobs: BlobStore;
  readonly queue: Queue;
  readonly copies: LocalCopies;
  readonly virtual = new VirtualCache();
  #signer!: UrlSigner;
  #staging: string;

  constructor(config: Config, meta: MetaStore, blobs: BlobStore, queue: Queue) {
    this.config = config;
    this.meta = meta;
    this.blobs = blobs;
    this.queue = queue;
    this.copies = new LocalCopies(blobs, join(config.dataDir, 'cache'), config.cacheBytes);
    this.#staging = join(config.dataDir, 'staging');
  }

  #sweeper: NodeJS.Timeout | null = null;

  async start(): Promise<void> {
    // Staging holds only files of requests in flight: what a crash left there is garbage.
    await rm(this.#staging, { recursive: true, force: true });
    await mkdir(this.#staging, { recursive: true });
    await this.copies.init();
    const secret = this.config.secret ?? (await this.meta.setting('url-signing-secret', randomBytes(32).toString('base64url')));
    this.#signer = new UrlSigner(secret);
    await this.queue.start((name, data) => this.#runJob(name, data));
    // Jobs interrupted by a restart: the rows say what is left to do.
    for (const [state, job] of [['processing', 'trim'], ['deleting', 'delete']] as const) {
      for (const row of await this.meta.clipsInState(state, 10_000)) await this.queue.send(job, { userId: row.userId, clipId: row.id });
    }
    await this.sweepAbandoned();
    this.#sweeper = setInterval(() => { this.sweepAbandoned().catch(() => {}); }, 3600_000);
    this.#sweeper.unref();
  }

  /** Uploads nobody touched for `abandonedUploadSeconds` are deleted with their parts. */
  async sweepAbandoned(): Promise<number> {
    const before = Date.now() - this.config.abandonedUploadSeconds * 1000;
    let n = 0;
    for (const row of await this.meta.clipsInState('uploading', 10_000)) {
      if (row.updatedAt >= before) continue;
      row.state = 'deleting';
      if (await this.meta.updateClip(row)) { await this.queue.send('delete', { userId: row.userId, clipId: row.id }); n++; }
    }
    return n;
  }

  #tmp(): string { return join(this.#staging, `${Date.now()}-${randomBytes(8).toString('hex')}`); }

  // ---- users and tokens -------------------------------------------------------------

  async createToken(userName: string, label = 'cli'): Promise<{ user: User; token: string }> {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(userName)) throw badRequest('user names are 1-64 characters: letters, digits, . _ @ -');
    const user = await this.meta.ensureUser(userName);
    const token = newBearerToken();
    await this.meta.addToken(hashToken(token), user.id, label);
    return { user, token };
  }

  async authenticate(header: string | undefined): Promise<User> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const fail = new HttpError(401, 'unauthorized', header ? 'the bearer token is not valid' : 'this needs Authorization: Bearer TOKEN', { 'www-authenticate': 'Bearer realm="ringclip"' });
    if (!m || !BEARER_SHAPE.test(m[1])) throw fail;
    const user = await this.meta.userByToken(hashToken(m[1]));
    if (!user) throw fail;
    return user;
  }

  // ---- reading clips ----------------------------------------------------------------

  /** The clip if it exists for this user and is not being deleted; 404 otherwise. */
  async clip(user: User, id: string, states: ClipState[] = ['uploading', ...VISIBLE]): Promise<ClipRow> {
    const row = await this.meta.getClip(user.id, clipId(id));
    if (!row || !states.includes(row.state)) throw notFound();
    return row;
  }

  async list(user: User, q: Record<string, unknown>) {
    const limit = intParam(q.limit, 'limit', 1, 200, 50);
    const kinds = typeof q.kind === 'string' && q.kind ? q.kind.split(',') : undefined;
    for (const k of kinds ?? []) if (!KIND.test(k)) throw badRequest(`kind filter: ${JSON.stringify(k)} is not a kind`);
    const from = q.from ? parseTime(q.from, 'from') : undefined;
    const to = q.to ? parseTime(q.to, 'to') : undefined;
    let after: { time: number; id: string } | undefined;
    if (typeof q.cursor === 'string' && q.cursor) {
      const m = /^(-?\d+)~([0-9a-f-]{36})$/.exec(Buffer.from(q.cursor, 'base64url').toString());
      if (!m) throw badRequest('cursor is not one this server handed out');
      after = { time: Number(m[1]), id: m[2] };
    }
    const rows = await this.meta.listClips(user.id, { limit: limit + 1, kinds, from, to, after, states: VISIBLE });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      clips: page.map((r) => this.view(r, false)),
      nextCursor: rows.length > limit && last ? Buffer.from(`${last.time}~${last.id}`).toString('base64url') : null,
    };
  }

  videoUrl(row: ClipRow, track: Track, base = ''): string {
    const exp = Math.floor(Date.now() / 1000) + this.config.videoUrlTtl;
    const sig = this.#signer.sign(['video', row.userId, row.id, track, String(exp)]);
    return `${base}/v1/clips/${row.id}/video?track=${track}&u=${row.userId}&exp=${exp}&sig=${sig}`;
  }

  /** A signed video URL's user, when its signature and expiry hold. */
  async userFromSignature(id: string, q: Record<string, unknown>): Promise<User | null> {
    const { u, exp, sig, track } = q as Record<string, string | undefined>;
    if (!u || !exp || !sig || !track || !/^\d{1,12}$/.test(exp)) return null;
    if (Number(exp) < Date.now() / 1000) throw new HttpError(403, 'expired', 'this video link has expired: reload the page');
    if (!this.#signer.verify(['video', u, id.toLowerCase(), track, exp], sig)) return null;
    return this.meta.getUser(u);
  }

  /** JSON of a clip (the API's Clip object). */
  view(r: ClipRow, full = true, videoBase: ((t: Track) => string) | null = null) {
    const ready = r.state === 'ready';
    const v: Record<string, unknown> = {
      id: r.id,
      state: r.state,
      kind: r.kind,
      time: new Date(r.time).toISOString(),
      title: r.meta.title ?? null,
      eventOffset: r.meta.eventOffset ?? null,
      duration: r.duration,
      size: ready ? r.size : null,
      sha256: r.sha256,
      tracks: r.tracks.map((t) => ({ role: t.role, name: t.name, width: t.width, height: t.height, offset: t.offset, duration: t.duration })),
      location: r.meta.location ?? null,
      hasTrace: !!r.meta.gsensor?.length,
      trimmedFrom: r.trim ? { id: r.trim.sourceId, from: r.trim.from, to: r.trim.to, exact: r.trim.exact } : null,
      error: r.error,
      createdAt: new Date(r.createdAt).toISOString(),
    };
    if (r.state === 'uploading') v.upload = { received: r.received, size: r.size };
    if (full) v.gsensor = r.meta.gsensor ?? null;
    if (ready) {
      const tracks: Track[] = ['both', ...r.tracks.map((t) => t.role)];
      v.video = Object.fromEntries(tracks.map((t) => [t, videoBase ? videoBase(t) : this.videoUrl(r, t)]));
    }
    return v;
  }

  /** What GET …/video serves: the stored file as is (both) or a per-track virtual MP4 cut by the engine. */
  async video(row: ClipRow, track: string): Promise<VideoSource> {
    if (row.state !== 'ready' || !row.blobKey || !row.sha256) {
      throw new HttpError(409, 'not_ready', `the clip is ${row.state}: its video is not available yet`);
    }
    if (track === 'both') {
      const key = row.blobKey;
      return {
        size: row.size!, etag: `"${row.sha256.slice(0, 40)}"`, contentType: 'video/mp4', lastModified: row.updatedAt,
        read: (s, e) => this.blobs.readRange(key, s, e),
      };
    }
    if (track !== 'road' && track !== 'cabin') throw badRequest(`track must be road, cabin or both, got ${JSON.stringify(track)}`);
    const t = row.tracks.find((x) => x.role === track);
    if (!t) throw new HttpError(404, 'no_such_track', `this clip has no ${track} track`);
    const name = this.#copyName(row);
    const path = await this.copies.get(row.blobKey, name);
    const v = await this.virtual.get(`${name}/${track}`, path, t.name);
    return {
      size: v.size, etag: v.etag, contentType: v.contentType, lastModified: row.updatedAt,
      read: async (s, e) => Readable.from(chunks(v, s, e)),
    };
  }

  #copyName(row: ClipRow) { return `${row.userId}-${row.id}-${row.sha256!.slice(0, 16)}`; }

  // ---- uploads ----------------------------------------------------------------------

  #newRow(user: User, id: string): ClipRow {
    const now = Date.now();
    return {
      userId: user.id, id, state: 'uploading', time: now, kind: 'manual', meta: {}, size: null, received: 0, parts: [],
      sha256: null, duration: null, tracks: [], blobKey: null, trim: null, error: null, createdAt: now, updatedAt: now, version: 0,
    };
  }

  async #getOrCreate(user: User, id: string): Promise<ClipRow> {
    for (;;) {
      const row = await this.meta.getClip(user.id, id);
      if (row) return row;
      if (await this.meta.insertClip(this.#newRow(user, id))) continue;
    }
  }

  /** PUT /v1/clips/:id/metadata: replaces the clip's metadata (before, during or after the upload). */
  async putMetadata(user: User, rawId: string, meta: ClipMeta): Promise<ClipRow> {
    const id = clipId(rawId);
    for (let i = 0; i < 20; i++) {
      const row = await this.#getOrCreate(user, id);
      if (row.state === 'deleting') throw notFound();
      row.meta = meta;
      row.kind = meta.kind ?? (row.trim ? row.kind : 'manual');
      if (meta.time !== undefined) row.time = meta.time;
      row.updatedAt = Date.now();
      if (await this.meta.updateClip(row)) return row;
    }
    throw new HttpError(503, 'busy', 'the clip is being changed concurrently: retry');
  }

  /**
   * PUT /v1/clips/:id: one chunk (Content-Range) or the whole file. Returns the row and
   * whether this request completed the upload.
   */
  async receive(user: User, rawId: string, range: ContentRange, body: Readable): Promise<{ row: ClipRow; created: boolean }> {
    const id = clipId(rawId);
    if (range.total > this.config.maxClipBytes) {
      body.resume();
      throw new HttpError(413, 'too_large', `clips are at most ${this.config.maxClipBytes} bytes; this one is ${range.total}`);
    }
    if (range.total === 0) { body.resume(); throw badRequest('an empty file is not a clip'); }
    let row = await this.#getOrCreate(user, id);
    if (row.state === 'deleting') { body.resume(); throw notFound(); }
    if (row.state !== 'uploading') return { row: await this.#repeatOfComplete(row, range, body), created: false };
    if (row.size !== null && row.size !== range.total) {
      body.resume();
      throw new HttpError(409, 'size_mismatch', `this upload was started with a total size of ${row.size} bytes, not ${range.total}: DELETE the clip to start over`, uploadHeaders(row));
    }
    if (range.start > row.received) {
      body.resume();
      throw new HttpError(409, 'offset_mismatch', `the server has ${row.received} bytes of this upload: send from byte ${row.received}`, uploadHeaders({ ...row, size: range.total }));
    }
    if (row.size === null) {
      row.size = range.total;
      if (!(await this.meta.updateClip(row))) row = (await this.meta.getClip(user.id, id))!;
      if (row.size !== range.total) { body.resume(); throw new HttpError(409, 'size_mismatch', 'a concurrent upload declared another size', uploadHeaders(row)); }
    }
    if (range.end + 1 > row.received) {
      await this.#storeChunk(row, range, body);
      row = (await this.meta.getClip(user.id, id))!;
    } else {
      body.resume(); // every byte of this chunk was already stored: a retry
    }
    if (row.state === 'uploading' && row.received === row.size) return { row: await this.#finalize(row), created: true };
    return { row, created: false };
  }

  async #repeatOfComplete(row: ClipRow, range: ContentRange, body: Readable): Promise<ClipRow> {
    // A retry of an upload that already completed (its response was lost): same size and,
    // for a whole-file PUT, the same bytes -> the clip as it is; anything else conflicts.
    const conflict = () => new HttpError(409, 'exists', 'a different clip with this id already exists');
    if (row.trim || row.size !== range.total) { body.resume(); throw conflict(); }
    if (range.start === 0 && range.end + 1 === range.total && row.sha256) {
      const h = createHash('sha256');
      for await (const c of body) h.update(c as Buffer);
      if (h.digest('hex') !== row.sha256) throw conflict();
    } else {
      body.resume();
    }
    return row;
  }

  async #storeChunk(row: ClipRow, range: ContentRange, body: Readable): Promise<void> {
    const skip = row.received - range.start; // bytes of this chunk the server already has
    const want = range.end - range.start + 1;
    const tmp = this.#tmp();
    let seen = 0;
    let kept = 0;
    let tooLong = false;
    const cut = new Transform({
      transform(chunk: Buffer, _enc, done) {
        const from = Math.max(0, skip - seen);
        const room = want - seen;
        seen += chunk.length;
        if (seen > want) { tooLong = true; done(new Error('body longer than Content-Range')); return; }
        const part = chunk.subarray(from, Math.max(from, Math.min(chunk.length, room)));
        kept += part.length;
        done(null, part);
      },
    });
    let interrupted = false;
    try {
      await pipeline(body, cut, createWriteStream(tmp));
    } catch {
      interrupted = true; // the client went away: keep what arrived, it resumes from there
    }
    try {
      if (tooLong) throw badRequest(`the body is longer than its Content-Range (${want} bytes)`);
      const size = (await stat(tmp).catch(() => ({ size: 0 }))).size;
      const n = Math.min(size, kept);
      if (n <= 0) {
        if (!interrupted && want - skip > 0) throw badRequest('the request had no body');
        return;
      }
      const start = row.received;
      const key = keys.part(row.userId, row.id, start, randomBytes(8).toString('hex'));
      if (size > n) throw new Error('internal error: chunk bookkeeping');
      await this.blobs.putFile(key, tmp);
      row.parts = [...row.parts, { start, end: start + n, key }];
      row.received = start + n;
      row.updatedAt = Date.now();
      if (!(await this.meta.updateClip(row))) {
        await this.blobs.delete(key);
        const now = await this.meta.getClip(row.userId, row.id);
        throw new HttpError(409, 'offset_mismatch', 'a concurrent request stored part of this upload: ask HEAD for the offset and resume', now ? uploadHeaders(now) : {});
      }
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async #finalize(row: ClipRow): Promise<ClipRow> {
    const file = this.#tmp();
    try {
      const out = createWriteStream(file);
      const hash = createHash('sha256');
      try {
        for (const p of [...row.parts].sort((a, b) => a.start - b.start)) {
          for await (const c of await this.blobs.readRange(p.key, 0, p.end - p.start)) {
            hash.update(c as Buffer);
            if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
          }
        }
      } finally {
        await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      }
      if ((await stat(file)).size !== row.size) throw new Error(`assembled ${(await stat(file)).size} bytes, expected ${row.size}`);
      let info;
      try {
        info = await inspect(file);
      } catch (e) {
        // Not a clip: nothing of it stays (parts, row, metadata); a retry starts from zero.
        if (e instanceof HttpError) await this.#forget(row);
        throw e;
      }
      const key = keys.clip(row.userId, row.id);
      const sha = hash.digest('hex');
      await this.blobs.putFile(key, file);
      const parts = row.parts;
      Object.assign(row, {
        state: 'ready', blobKey: key, sha256: sha, tracks: info.tracks, duration: info.duration, parts: [], received: row.size,
        updatedAt: Date.now(),
      });
      if (row.meta.time === undefined) row.time = info.origin > 0 ? Math.round(info.origin / 1000) : row.createdAt;
      if (!(await this.meta.updateClip(row))) {
        const now = await this.meta.getClip(row.userId, row.id);
        if (now?.state === 'ready') return now;
        throw new HttpError(409, 'conflict', 'the clip changed while it was being stored: retry');
      }
      for (const p of parts) await this.blobs.delete(p.key).catch(() => {});
      await this.copies.adopt(key, this.#copyName(row), file).catch(() => {});
      return row;
    } finally {
      await rm(file, { force: true });
    }
  }

  async #forget(row: ClipRow): Promise<void> {
    for (const p of row.parts) await this.blobs.delete(p.key).catch(() => {});
    await this.meta.deleteClip(row.userId, row.id);
  }

  // ---- trims ------------------------------------------------------------------------

  async trim(user: User, rawId: string, body: Record<string, unknown>): Promise<ClipRow> {
    const src = await this.clip(user, rawId, ['ready', 'processing', 'failed']);
    if (src.state !== 'ready') throw new HttpError(409, 'not_ready', `the clip is ${src.state}: it cannot be trimmed yet`);
    const allowed = new Set(['from', 'to', 'exact', 'tracks', 'id', 'kind', 'title']);
    for (const k of Object.keys(body)) if (!allowed.has(k)) throw badRequest(`unknown trim field '${k}': allowed are ${[...allowed].join(', ')}`);
    const num = (v: unknown, what: string) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badRequest(`${what} must be a number of seconds from the clip's start`);
      return v;
    };
    const from = num(body.from, 'from');
    const to = num(body.to, 'to');
    if (to <= from) throw badRequest(`'to' (${to}) must be after 'from' (${from})`);
    if (src.duration !== null && from >= src.duration) throw new HttpError(422, 'out_of_range', `the clip is ${src.duration} s long: from=${from} is past its end`);
    if (body.exact !== undefined && typeof body.exact !== 'boolean') throw badRequest('exact must be true (start exactly at from) or false (start at the key frame at or before from)');
    const roles = src.tracks.map((t) => t.role);
    let tracks = roles;
    if (body.tracks !== undefined) {
      if (!Array.isArray(body.tracks) || body.tracks.length === 0 || !body.tracks.every((t: unknown) => roles.includes(t as (typeof roles)[number]))) {
        throw badRequest(`tracks must list some of this clip's tracks: ${roles.join(', ')}`);
      }
      tracks = [...new Set(body.tracks as Array<'road' | 'cabin'>)];
    }
    if (body.kind !== undefined && (typeof body.kind !== 'string' || !KIND.test(body.kind))) throw badRequest('kind must be a short lower-case word');
    if (body.title !== undefined && (typeof body.title !== 'string' || body.title.length > 200)) throw badRequest('title must be a string of at most 200 characters');
    const id = body.id === undefined ? randomUUID() : clipId(body.id);
    const spec: TrimSpec = { sourceId: src.id, from, to: src.duration !== null ? Math.min(to, src.duration + 1) : to, exact: body.exact === true, tracks };
    const row = this.#newRow(user, id);
    Object.assign(row, {
      state: 'processing', kind: (body.kind as string) ?? src.kind, time: src.time, trim: spec,
      meta: { ...src.meta, title: (body.title) ?? src.meta.title, gsensor: undefined, eventOffset: undefined },
    });
    if (!(await this.meta.insertClip(row))) {
      const existing = await this.meta.getClip(user.id, id);
      if (existing && existing.state !== 'deleting' && existing.trim && JSON.stringify(existing.trim) === JSON.stringify(spec)) return existing; // idempotent retry
      throw new HttpError(409, 'exists', 'a different clip with this id already exists');
    }
    await this.queue.send('trim', { userId: user.id, clipId: id });
    return row;
  }

  /** Polls a clip until it leaves 'processing' (any instance may be doing the work). */
  async waitFor(user: User, id: string, seconds: number): Promise<ClipRow> {
    const until = Date.now() + seconds * 1000;
    for (;;) {
      const row = await this.clip(user, id);
      if (row.state !== 'processing' || Date.now() >= until) return row;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #runJob(name: JobName, data: JobData): Promise<void> {
    if (name === 'trim') return this.#trimJob(data);
    return this.#deleteJob(data);
  }

  async #trimJob({ userId, clipId: id }: JobData): Promise<void> {
    const row = await this.meta.getClip(userId, id);
    if (!row || row.state !== 'processing' || !row.trim) return;
    const fail = async (message: string) => {
      Object.assign(row, { state: 'failed', error: message, updatedAt: Date.now() });
      await this.meta.updateClip(row);
    };
    const src = await this.meta.getClip(userId, row.trim.sourceId);
    if (!src || src.state !== 'ready' || !src.blobKey) return fail('the source clip is gone');
    const out = this.#tmp();
    try {
      const path = await this.copies.get(src.blobKey, this.#copyName(src));
      let startOffset: number;
      let cutDuration: number;
      try {
        ({ offset: startOffset, duration: cutDuration } = await cutTrim(path, src.tracks, row.trim, out));
      } catch (e) {
        const err = e as { code?: string; message: string };
        if (e instanceof HttpError || err.code === 'ERR_CLIP_RANGE' || err.code === 'ERR_INVALID_ARGUMENT') return fail(err.message);
        throw e;
      }
      const info = await inspect(out);
      const sha = createHash('sha256');
      await pipeline(createReadStream(out), sha);
      const key = keys.clip(userId, id);
      await this.blobs.putFile(key, out);
      const size = (await stat(out)).size;
      const end = startOffset + cutDuration;
      const trace = src.meta.gsensor?.filter((s) => s[0] >= startOffset && s[0] <= end).map((s) => [s[0] - startOffset, s[1], s[2], s[3]]);
      const ev = src.meta.eventOffset;
      Object.assign(row, {
        state: 'ready', blobKey: key, sha256: sha.digest('hex'), size, received: size, tracks: info.tracks, duration: cutDuration,
        meta: { ...row.meta, gsensor: trace?.length ? trace : undefined, eventOffset: ev !== undefined && ev >= startOffset && ev <= end ? ev - startOffset : undefined },
        updatedAt: Date.now(),
      });
      if (!(await this.meta.updateClip(row))) {
        // Deleted (or changed) meanwhile: leave nothing behind unless it is ours and ready.
        const now = await this.meta.getClip(userId, id);
        if (!now || now.state === 'deleting') await this.blobs.delete(key);
        return;
      }
      await this.copies.adopt(key, this.#copyName(row), out).catch(() => {});
    } finally {
      await rm(out, { force: true });
    }
  }

  // ---- delete -------------------------------------------------------------------------

  /** DELETE: at once invisible (404) with share links dead; the bytes go in a queued job. */
  async remove(user: User, rawId: string): Promise<void> {
    const id = clipId(rawId);
    for (let i = 0; i < 20; i++) {
      const row = await this.meta.getClip(user.id, id);
      if (!row || row.state === 'deleting') throw notFound();
      row.state = 'deleting';
      row.updatedAt = Date.now();
      if (await this.meta.updateClip(row)) {
        await this.meta.revokeShares(user.id, id, Date.now());
        if (row.sha256) this.virtual.drop(this.#copyName(row));
        await this.queue.send('delete', { userId: user.id, clipId: id });
        return;
      }
    }
    throw new HttpError(503, 'busy', 'the clip is being changed concurrently: retry');
  }

  async #deleteJob({ userId, clipId: id }: JobData): Promise<void> {
    const row = await this.meta.getClip(userId, id);
    if (!row || row.state !== 'deleting') return;
    const key = keys.clip(userId, id);
    await this.blobs.delete(key);
    for (const k of await this.blobs.list(`parts/${userId}/${id}/`)) await this.blobs.delete(k);
    for (const p of row.parts) await this.blobs.delete(p.key);
    await this.copies.drop(`${userId}-${id}-`);
    this.virtual.drop(`${userId}-${id}-`);
    await this.meta.deleteClip(userId, id);
  }

  // ---- shares -----------------------------------------------------------------------

  async share(user: User, rawId: string, body: Record<string, unknown>, base: string) {
    const row = await this.clip(user, rawId, ['ready']).catch((e) => {
      if (e instanceof HttpError && e.status === 404) return this.clip(user, rawId).then((r) => { throw new HttpError(409, 'not_ready', `the clip is ${r.state}: only ready clips can be shared`); });
      throw e;
    });
    let ttl = this.config.shareTtlDefault;
    if (body.expiresIn !== undefined) {
      const v = body.expiresIn;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > this.config.shareTtlMax) throw badRequest(`expiresIn must be seconds from 1 to ${this.config.shareTtlMax}`);
      ttl = v;
    }
    if (body.expiresAt !== undefined) {
      const at = parseTime(body.expiresAt, 'expiresAt');
      if (at <= Date.now() || at > Date.now() + this.config.shareTtlMax * 1000) throw badRequest('expiresAt must be in the future and within the longest share lifetime');
      ttl = (at - Date.now()) / 1000;
    }
    const token = newShareToken();
    const now = Date.now();
    const share: ShareRow = { id: randomUUID(), hash: hashToken(token), userId: user.id, clipId: row.id, createdAt: now, expiresAt: Math.round(now + ttl * 1000), revokedAt: null };
    await this.meta.addShare(share);
    return { ...shareView(share), token, url: `${base}/s/${token}` };
  }

  async shares(user: User, rawId: string) {
    const row = await this.clip(user, rawId, VISIBLE);
    return (await this.meta.listShares(user.id, row.id)).map(shareView);
  }

  async revokeShare(user: User, rawId: string, shareId: string): Promise<void> {
    const row = await this.clip(user, rawId, VISIBLE);
    if (!/^[0-9a-f-]{36}$/.test(shareId) || !(await this.meta.revokeShare(user.id, row.id, shareId, Date.now()))) throw notFound('share link');
  }

  /** The clip behind a share token; 404 for unknown tokens, 410 for expired or revoked ones. */
  async shared(token: string): Promise<{ share: ShareRow; row: ClipRow }> {
    if (!SHARE_SHAPE.test(token)) throw notFound('share link');
    const share = await this.meta.shareByHash(hashToken(token));
    if (!share) throw notFound('share link');
    if (share.revokedAt !== null) throw new HttpError(410, 'revoked', 'this share link was revoked');
    if (share.expiresAt <= Date.now()) throw new HttpError(410, 'expired', 'this share link has expired');
    const row = await this.meta.getClip(share.userId, share.clipId);
    if (!row || row.state !== 'ready') throw new HttpError(410, 'gone', 'the shared clip was deleted');
    return { share, row };
  }

  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    await this.queue.stop();
  }
}

function shareView(s: ShareRow) {
  return {
    id: s.id, clipId: s.clipId, createdAt: new Date(s.createdAt).toISOString(), expiresAt: new Date(s.expiresAt).toISOString(),
    revokedAt: s.revokedAt === null ? null : new Date(s.revokedAt).toISOString(),
    active: s.revokedAt === null && s.expiresAt > Date.now(),
  };
}

export function uploadHeaders(row: Pick<ClipRow, 'received' | 'size' | 'state'>): Record<string, string> {
  const h: Record<string, string> = { 'upload-offset': String(row.state === 'uploading' ? row.received : row.size ?? 0), 'clip-state': row.state };
  if (row.size !== null) h['upload-length'] = String(row.size);
  if (row.state === 'uploading' && row.received > 0) h.range = `bytes=0-${row.received - 1}`;
  return h;
}

function* chunks(v: { read(s: number, e: number): Buffer }, start: number, end: number): Generator<Buffer> {
  const piece = 1 << 20;
  for (let at = start; at < end; at += piece) yield v.read(at, Math.min(end, at + piece));
}
