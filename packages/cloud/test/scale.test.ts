/**
 * Scale-out: several instances share one PostgreSQL schema and one bucket. An upload may
 * resume on another instance, any instance serves any clip (downloading it to its own
 * cache with ranged GETs), queued work is done by whichever instance takes it, and work
 * lost in a crash is picked up again when an instance starts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../src/server.js';
import { Api, makeClip, postgresAvailable, postgresBackend, tempDir, until, type Backend } from './helpers.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('PostgreSQL + S3 with several instances', () => {
  const tmp = tempDir();
  let backend: Backend | null = null;
  let a: Server;
  let b: Server;
  let clip: Buffer;
  let token: string;

  beforeAll(async () => {
    if (!(await postgresAvailable())) return;
    backend = await postgresBackend();
    [a, b] = await Promise.all([backend.start(), backend.start()]);
    token = (await a.service.createToken('carol')).token;
    clip = (await makeClip(tmp.dir, 4)).bytes;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await backend?.cleanup();
    tmp.cleanup();
  });

  it('an upload started on one instance finishes on another; both serve it', async (ctx) => {
    if (!backend) return ctx.skip();
    const onA = new Api(a.url, token);
    const onB = new Api(b.url, token);
    const id = randomUUID();
    const half = Math.floor(clip.length / 2);
    expect((await onA.upload(id, clip.subarray(0, half), { start: 0, total: clip.length })).status).toBe(202);
    const head = await onB.fetch(`/v1/clips/${id}`, { method: 'HEAD' });
    expect(head.headers.get('upload-offset')).toBe(String(half));
    const done = await onB.upload(id, clip.subarray(half), { start: half, total: clip.length });
    expect(done.status).toBe(201);
    for (const api of [onA, onB]) {
      expect(sha(Buffer.from(await (await api.fetch(`/v1/clips/${id}/video?track=both`)).arrayBuffer()))).toBe(
        sha(clip),
      );
      const cab = await api.fetch(`/v1/clips/${id}/video?track=cabin`, { headers: { range: 'bytes=0-1023' } });
      expect(cab.status).toBe(206);
    }
    // signed URLs made by one instance are accepted by the other (shared signing key)
    const urlFromA = (await onA.json(`/v1/clips/${id}`)).body.video.road as string;
    expect((await fetch(b.url + urlFromA, { headers: { range: 'bytes=0-9' } })).status).toBe(206);
  });

  it('queued trims and deletes are done by any instance; a restart resumes lost work', async (ctx) => {
    if (!backend) return ctx.skip();
    const onA = new Api(a.url, token);
    const onB = new Api(b.url, token);
    const id = randomUUID();
    expect((await onA.upload(id, clip)).status).toBe(201);
    const t = await onA.json(`/v1/clips/${id}/trim`, {
      method: 'POST',
      body: JSON.stringify({ from: 1, to: 3, exact: true }),
      headers: { 'content-type': 'application/json' },
    });
    expect([201, 202]).toContain(t.status);
    const trimmed = await until(async () => {
      const r = await onB.json(`/v1/clips/${t.body.id}`);
      return r.body.state === 'ready' ? r.body : null;
    });
    expect(trimmed.duration).toBeCloseTo(2, 2);

    // A crash lost a trim's job: the row still says 'processing'. A new instance picks it up.
    const user = await a.service.meta.ensureUser('carol');
    const lost = randomUUID();
    const now = Date.now();
    await a.service.meta.insertClip({
      userId: user.id,
      id: lost,
      state: 'processing',
      time: now,
      kind: 'manual',
      meta: {},
      size: null,
      received: 0,
      parts: [],
      sha256: null,
      duration: null,
      tracks: [],
      blobKey: null,
      trim: { sourceId: id, from: 0, to: 1, exact: false, tracks: ['road'] },
      error: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    });
    const c = await backend.start();
    try {
      const r = await until(async () => {
        const x = await onA.json(`/v1/clips/${lost}`);
        return x.body.state === 'ready' ? x.body : null;
      });
      expect(r.tracks.map((x: { role: string }) => x.role)).toEqual(['road']);
    } finally {
      await c.close();
    }

    expect((await onB.fetch(`/v1/clips/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await onA.json(`/v1/clips/${id}`)).status).toBe(404);
    await until(async () => (await a.service.blobs.size(`clips/${user.id}/${id}.mp4`)) === null);
    await until(async () => (await a.service.meta.getClip(user.id, id)) === null);
  });

  it('an instance with a local copy of an S3 object sends track=both from it, not from S3', async (ctx) => {
    if (!backend) return ctx.skip();
    const onB = new Api(b.url, token);
    const id = randomUUID();
    expect((await new Api(a.url, token).upload(id, clip)).status).toBe(201);
    const road = await onB.fetch(`/v1/clips/${id}/video?track=road`, { headers: { range: 'bytes=0-9' } });
    expect(road.status).toBe(206); // B now has the object in its cache
    await road.arrayBuffer();
    const blobs = b.service.blobs;
    const readRange = blobs.readRange.bind(blobs);
    let fromS3 = 0;
    blobs.readRange = async (key, start, end) => {
      fromS3++;
      return readRange(key, start, end);
    };
    try {
      const both = await onB.fetch(`/v1/clips/${id}/video?track=both`);
      expect(both.status).toBe(200);
      expect(sha(Buffer.from(await both.arrayBuffer()))).toBe(sha(clip));
    } finally {
      blobs.readRange = readRange;
    }
    expect(fromS3).toBe(0);
  });

  it("a delete on one instance removes the clip from every instance's local cache (LISTEN/NOTIFY)", async (ctx) => {
    if (!backend) return ctx.skip();
    const onA = new Api(a.url, token);
    const onB = new Api(b.url, token);
    const id = randomUUID();
    expect((await onA.upload(id, clip)).status).toBe(201);
    const cached = (s: Server) => readdirSync(join(s.config.dataDir, 'cache')).filter((f) => f.includes(id));
    // B serves a per-track file: it downloads the clip into its own cache
    const road = await onB.fetch(`/v1/clips/${id}/video?track=road`, { headers: { range: 'bytes=0-99' } });
    expect(road.status).toBe(206);
    await road.arrayBuffer();
    expect(cached(b)).toHaveLength(1);
    expect((await onA.fetch(`/v1/clips/${id}`, { method: 'DELETE' })).status).toBe(204);
    await until(async () => cached(b).length === 0);
    expect((await onB.fetch(`/v1/clips/${id}/video?track=road`)).status).toBe(404);
  });

  it('an instance that missed announcements drops stale copies when it checks its cache', async (ctx) => {
    if (!backend) return ctx.skip();
    const user = await b.service.meta.ensureUser('carol');
    const gone = randomUUID();
    const stale = join(b.config.dataDir, 'cache', `${user.id}-${gone}-0123456789abcdef.mp4`);
    writeFileSync(stale, clip);
    expect(await b.service.reconcileCopies()).toBeGreaterThanOrEqual(1);
    expect(existsSync(stale)).toBe(false);
  });
});
