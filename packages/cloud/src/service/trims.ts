/** Trims: a new clip cut from a stored one by the engine, in a queued job any instance may run. */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { keys } from '../blob.js';
import { HttpError, badRequest } from '../errors.js';
import { cutTrim, inspect } from '../media.js';
import type { ClipRow, TrimSpec, User } from '../meta.js';
import type { JobData } from '../queue.js';
import { KIND, clipId } from '../validate.js';
import { copyName, newRow, type ServiceContext } from './context.js';

export class Trims {
  constructor(private readonly ctx: ServiceContext) {}

  async trim(user: User, rawId: string, body: Record<string, unknown>): Promise<ClipRow> {
    const src = await this.ctx.clip(user, rawId, ['ready', 'processing', 'failed']);
    if (src.state !== 'ready')
      throw new HttpError(409, 'not_ready', `the clip is ${src.state}: it cannot be trimmed yet`);
    const allowed = new Set(['from', 'to', 'exact', 'tracks', 'id', 'kind', 'title']);
    for (const k of Object.keys(body))
      if (!allowed.has(k)) throw badRequest(`unknown trim field '${k}': allowed are ${[...allowed].join(', ')}`);
    const num = (v: unknown, what: string) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw badRequest(`${what} must be a number of seconds from the clip's start`);
      return v;
    };
    const from = num(body.from, 'from');
    const to = num(body.to, 'to');
    if (to <= from) throw badRequest(`'to' (${to}) must be after 'from' (${from})`);
    if (src.duration !== null && from >= src.duration)
      throw new HttpError(422, 'out_of_range', `the clip is ${src.duration} s long: from=${from} is past its end`);
    if (body.exact !== undefined && typeof body.exact !== 'boolean')
      throw badRequest(
        'exact must be true (start exactly at from) or false (start at the key frame at or before from)',
      );
    const roles = src.tracks.map((t) => t.role);
    let tracks = roles;
    if (body.tracks !== undefined) {
      if (
        !Array.isArray(body.tracks) ||
        body.tracks.length === 0 ||
        !body.tracks.every((t: unknown) => roles.includes(t as (typeof roles)[number]))
      ) {
        throw badRequest(`tracks must list some of this clip's tracks: ${roles.join(', ')}`);
      }
      tracks = [...new Set(body.tracks as Array<'road' | 'cabin'>)];
    }
    if (body.kind !== undefined && (typeof body.kind !== 'string' || !KIND.test(body.kind)))
      throw badRequest('kind must be a short lower-case word');
    if (body.title !== undefined && (typeof body.title !== 'string' || body.title.length > 200))
      throw badRequest('title must be a string of at most 200 characters');
    const id = body.id === undefined ? randomUUID() : clipId(body.id);
    const spec: TrimSpec = {
      sourceId: src.id,
      from,
      to: src.duration !== null ? Math.min(to, src.duration + 1) : to,
      exact: body.exact === true,
      tracks,
    };
    const row = newRow(user, id);
    Object.assign(row, {
      state: 'processing',
      kind: (body.kind as string) ?? src.kind,
      time: src.time,
      trim: spec,
      meta: { ...src.meta, title: body.title ?? src.meta.title, eventOffset: undefined },
    });
    if (!(await this.ctx.meta.insertClip(row))) {
      const existing = await this.ctx.meta.getClip(user.id, id);
      if (
        existing &&
        existing.state !== 'deleting' &&
        existing.trim &&
        JSON.stringify(existing.trim) === JSON.stringify(spec)
      )
        return existing; // idempotent retry
      throw new HttpError(409, 'exists', 'a different clip with this id already exists');
    }
    await this.ctx.queue.send('trim', { userId: user.id, clipId: id });
    return row;
  }

  /** Polls a clip until it leaves 'processing' (any instance may be doing the work). */
  async waitFor(user: User, id: string, seconds: number): Promise<ClipRow> {
    const until = Date.now() + seconds * 1000;
    for (;;) {
      const row = await this.ctx.clip(user, id);
      if (row.state !== 'processing' || Date.now() >= until) return row;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The queued job of a trim: cuts the source with the engine and stores the result. */
  async run({ userId, clipId: id }: JobData): Promise<void> {
    const row = await this.ctx.meta.getClip(userId, id);
    if (!row || row.state !== 'processing' || !row.trim) return;
    const fail = async (message: string) => {
      Object.assign(row, { state: 'failed', error: message, updatedAt: Date.now() });
      await this.ctx.meta.updateClip(row);
    };
    const src = await this.ctx.meta.getClip(userId, row.trim.sourceId);
    if (!src || src.state !== 'ready' || !src.blobKey) return fail('the source clip is gone');
    const out = this.ctx.tmp();
    try {
      const path = await this.ctx.copies.get(src.blobKey, copyName(src));
      let startOffset: number;
      let cutDuration: number;
      try {
        ({ offset: startOffset, duration: cutDuration } = await cutTrim(path, src.tracks, row.trim, out));
      } catch (e) {
        const err = e as { code?: string; message: string };
        if (e instanceof HttpError || err.code === 'ERR_CLIP_RANGE' || err.code === 'ERR_INVALID_ARGUMENT')
          return fail(err.message);
        throw e;
      }
      const info = await inspect(out);
      const sha = createHash('sha256');
      await pipeline(createReadStream(out), sha);
      const key = keys.clip(userId, id);
      await this.ctx.blobs.putFile(key, out);
      const size = (await stat(out)).size;
      const end = startOffset + cutDuration;
      const ev = src.meta.eventOffset;
      Object.assign(row, {
        state: 'ready',
        blobKey: key,
        sha256: sha.digest('hex'),
        size,
        received: size,
        tracks: info.tracks,
        duration: cutDuration,
        // The cut carries the camm and audio samples of its range (the engine cuts them with the video).
        meta: {
          ...row.meta,
          hasTelemetry: info.telemetry,
          hasAudio: info.audio,
          eventOffset: ev !== undefined && ev >= startOffset && ev <= end ? ev - startOffset : undefined,
        },
        updatedAt: Date.now(),
      });
      if (!(await this.ctx.meta.updateClip(row))) {
        // Deleted (or changed) meanwhile: leave nothing behind unless it is ours and ready.
        const now = await this.ctx.meta.getClip(userId, id);
        if (!now || now.state === 'deleting') await this.ctx.blobs.delete(key);
        return;
      }
      await this.ctx.bestEffort(`keeping a local copy of trim ${row.id}`, () =>
        this.ctx.copies.adopt(key, copyName(row), out),
      );
    } finally {
      await rm(out, { force: true });
    }
  }
}
