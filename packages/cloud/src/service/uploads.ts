/**
 * Uploads: resumable (Content-Range chunks stored as parts), idempotent (a retry of a
 * completed upload is answered as it was), validated by the engine when the last byte
 * arrives; and a clip's metadata, which may come before, during or after its bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { keys } from '../blob.js';
import { HttpError, badRequest, notFound } from '../errors.js';
import { inspect } from '../media.js';
import type { ClipMeta, ClipRow, User } from '../meta.js';
import { clipId } from '../validate.js';
import { copyName, newRow, type ServiceContext } from './context.js';

export interface ContentRange {
  start: number;
  end: number;
  total: number;
}

export class Uploads {
  constructor(private readonly ctx: ServiceContext) {}

  async #getOrCreate(user: User, id: string): Promise<ClipRow> {
    for (;;) {
      const row = await this.ctx.meta.getClip(user.id, id);
      if (row) return row;
      if (await this.ctx.meta.insertClip(newRow(user, id))) continue;
    }
  }

  /** PUT /v1/clips/:id/metadata: replaces the clip's metadata (before, during or after the upload). */
  async putMetadata(user: User, rawId: string, meta: ClipMeta): Promise<ClipRow> {
    const id = clipId(rawId);
    for (let i = 0; i < 20; i++) {
      const row = await this.#getOrCreate(user, id);
      if (row.state === 'deleting') throw notFound();
      // What the server learnt from the file stays; the client's document replaces the rest.
      row.meta = { ...meta, hasTelemetry: row.meta.hasTelemetry, hasAudio: row.meta.hasAudio };
      row.kind = meta.kind ?? (row.trim ? row.kind : 'manual');
      if (meta.time !== undefined) row.time = meta.time;
      row.updatedAt = Date.now();
      if (await this.ctx.meta.updateClip(row)) return row;
    }
    throw new HttpError(503, 'busy', 'the clip is being changed concurrently: retry');
  }

  /**
   * PUT /v1/clips/:id: one chunk (Content-Range) or the whole file. Returns the row and
   * whether this request completed the upload.
   */
  async receive(
    user: User,
    rawId: string,
    range: ContentRange,
    body: Readable,
  ): Promise<{ row: ClipRow; created: boolean }> {
    const id = clipId(rawId);
    if (range.total > this.ctx.config.maxClipBytes) {
      body.resume();
      throw new HttpError(
        413,
        'too_large',
        `clips are at most ${this.ctx.config.maxClipBytes} bytes; this one is ${range.total}`,
      );
    }
    if (range.total === 0) {
      body.resume();
      throw badRequest('an empty file is not a clip');
    }
    let row = await this.#getOrCreate(user, id);
    if (row.state === 'deleting') {
      body.resume();
      throw notFound();
    }
    if (row.state !== 'uploading') return { row: await this.#repeatOfComplete(row, range, body), created: false };
    if (row.size !== null && row.size !== range.total) {
      body.resume();
      throw new HttpError(
        409,
        'size_mismatch',
        `this upload was started with a total size of ${row.size} bytes, not ${range.total}: DELETE the clip to start over`,
        uploadHeaders(row),
      );
    }
    if (range.start > row.received) {
      body.resume();
      throw new HttpError(
        409,
        'offset_mismatch',
        `the server has ${row.received} bytes of this upload: send from byte ${row.received}`,
        uploadHeaders({ ...row, size: range.total }),
      );
    }
    if (row.size === null) {
      row.size = range.total;
      if (!(await this.ctx.meta.updateClip(row))) row = (await this.ctx.meta.getClip(user.id, id))!;
      if (row.size !== range.total) {
        body.resume();
        throw new HttpError(409, 'size_mismatch', 'a concurrent upload declared another size', uploadHeaders(row));
      }
    }
    if (range.end + 1 > row.received) {
      await this.#storeChunk(row, range, body);
      row = (await this.ctx.meta.getClip(user.id, id))!;
    } else {
      body.resume(); // every byte of this chunk was already stored: a retry
    }
    if (row.state === 'uploading' && row.received === row.size)
      return { row: await this.#finalize(row), created: true };
    return { row, created: false };
  }

  async #repeatOfComplete(row: ClipRow, range: ContentRange, body: Readable): Promise<ClipRow> {
    // A retry of an upload that already completed (its response was lost): same size and,
    // for a whole-file PUT, the same bytes -> the clip as it is; anything else conflicts.
    const conflict = () => new HttpError(409, 'exists', 'a different clip with this id already exists');
    if (row.trim || row.size !== range.total) {
      body.resume();
      throw conflict();
    }
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
    const tmp = this.ctx.tmp();
    let seen = 0;
    let kept = 0;
    let tooLong = false;
    const cut = new Transform({
      transform(chunk: Buffer, _enc, done) {
        const from = Math.max(0, skip - seen);
        const room = want - seen;
        seen += chunk.length;
        if (seen > want) {
          tooLong = true;
          done(new Error('body longer than Content-Range'));
          return;
        }
        const part = chunk.subarray(from, Math.max(from, Math.min(chunk.length, room)));
        kept += part.length;
        done(null, part);
      },
    });
    let interrupted = false;
    try {
      await pipeline(body, cut, createWriteStream(tmp));
    } catch (e) {
      // The client went away (or sent too much): keep what arrived, it resumes from there. A
      // failure of this side's file (a full disk) is this request's error, not a short chunk.
      const err = e as NodeJS.ErrnoException;
      const local = typeof err.syscall === 'string' && !['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(err.code ?? '');
      if (local && !tooLong) {
        await rm(tmp, { force: true });
        throw err;
      }
      interrupted = true;
    }
    try {
      if (tooLong) throw badRequest(`the body is longer than its Content-Range (${want} bytes)`);
      const size = await stat(tmp).then(
        (st) => st.size,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return 0; // nothing arrived: the file was never opened
          throw e;
        },
      );
      const n = Math.min(size, kept);
      if (n <= 0) {
        if (!interrupted && want - skip > 0) throw badRequest('the request had no body');
        return;
      }
      const start = row.received;
      const key = keys.part(row.userId, row.id, start, randomBytes(8).toString('hex'));
      if (size > n) throw new Error('internal error: chunk bookkeeping');
      await this.ctx.blobs.putFile(key, tmp);
      row.parts = [...row.parts, { start, end: start + n, key }];
      row.received = start + n;
      row.updatedAt = Date.now();
      if (!(await this.ctx.meta.updateClip(row))) {
        await this.ctx.blobs.delete(key);
        const now = await this.ctx.meta.getClip(row.userId, row.id);
        throw new HttpError(
          409,
          'offset_mismatch',
          'a concurrent request stored part of this upload: ask HEAD for the offset and resume',
          now ? uploadHeaders(now) : {},
        );
      }
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async #finalize(row: ClipRow): Promise<ClipRow> {
    const file = this.ctx.tmp();
    try {
      const out = createWriteStream(file);
      const hash = createHash('sha256');
      try {
        for (const p of [...row.parts].sort((a, b) => a.start - b.start)) {
          for await (const c of await this.ctx.blobs.readRange(p.key, 0, p.end - p.start)) {
            hash.update(c as Buffer);
            if (!out.write(c)) await new Promise<void>((r) => out.once('drain', () => r()));
          }
        }
      } catch (e) {
        // Two requests may both see the last byte arrive (a chunk and its retry, sent at
        // once): the first to finish stores the clip and deletes the parts the other is
        // reading. That one answers with the stored clip, or a 409 to ask where things are.
        const now = await this.ctx.meta.getClip(row.userId, row.id);
        if (now && now.version !== row.version) {
          if (now.state === 'ready') return now;
          throw new HttpError(
            409,
            'conflict',
            'another request is finishing this upload: ask HEAD /v1/clips/:id for its state',
            uploadHeaders(now),
          );
        }
        throw e;
      } finally {
        await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      }
      if ((await stat(file)).size !== row.size)
        throw new Error(`assembled ${(await stat(file)).size} bytes, expected ${row.size}`);
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
      // The assembled file is not read again: on a local store it becomes the blob (renamed),
      // on S3 it is uploaded and then kept as this instance's local copy.
      await this.ctx.blobs.putFile(key, file, true);
      const parts = row.parts;
      row.meta = { ...row.meta, hasTelemetry: info.telemetry, hasAudio: info.audio };
      Object.assign(row, {
        state: 'ready',
        blobKey: key,
        sha256: sha,
        tracks: info.tracks,
        duration: info.duration,
        parts: [],
        received: row.size,
        updatedAt: Date.now(),
      });
      if (row.meta.time === undefined) row.time = info.origin > 0 ? Math.round(info.origin / 1000) : row.createdAt;
      if (!(await this.ctx.meta.updateClip(row))) {
        const now = await this.ctx.meta.getClip(row.userId, row.id);
        if (now?.state === 'ready') return now;
        throw new HttpError(409, 'conflict', 'the clip changed while it was being stored: retry');
      }
      for (const p of parts)
        await this.ctx.bestEffort(`deleting upload part ${p.key}`, () => this.ctx.blobs.delete(p.key));
      await this.ctx.bestEffort(`keeping a local copy of clip ${row.id}`, () =>
        this.ctx.copies.adopt(key, copyName(row), file),
      );
      return row;
    } finally {
      await rm(file, { force: true });
    }
  }

  async #forget(row: ClipRow): Promise<void> {
    for (const p of row.parts)
      await this.ctx.bestEffort(`deleting upload part ${p.key}`, () => this.ctx.blobs.delete(p.key));
    await this.ctx.meta.deleteClip(row.userId, row.id);
  }
}

export function uploadHeaders(row: Pick<ClipRow, 'received' | 'size' | 'state'>): Record<string, string> {
  const h: Record<string, string> = {
    'upload-offset': String(row.state === 'uploading' ? row.received : (row.size ?? 0)),
    'clip-state': row.state,
  };
  if (row.size !== null) h['upload-length'] = String(row.size);
  if (row.state === 'uploading' && row.received > 0) h.range = `bytes=0-${row.received - 1}`;
  return h;
}
