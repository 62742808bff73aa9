/**
 * Embedded back end across restarts: the in-process queue forgets its jobs when the
 * process dies, so the rows are the source of truth and a starting service finishes
 * deletes and trims that were cut short.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Api, makeClip, sqliteBackend, tempDir, until } from './helpers.js';

const tmp = tempDir();
const backend = sqliteBackend();
afterAll(async () => {
  await backend.cleanup();
  tmp.cleanup();
});

describe('embedded back end after a crash', () => {
  it('finishes an interrupted delete and trim on the next start and drops abandoned uploads; data survives restarts', async () => {
    const clip = (await makeClip(tmp.dir, 3)).bytes;
    let s = await backend.start();
    const { token } = await s.service.createToken('frank');
    const id = randomUUID();
    const victim = randomUUID();
    await new Api(s.url, token).upload(id, clip);
    await new Api(s.url, token).upload(victim, clip);
    const user = await s.service.meta.ensureUser('frank');
    // Simulate a crash after the delete was committed but before its job ran,
    // and a trim whose job was lost.
    const row = (await s.service.meta.getClip(user.id, victim))!;
    row.state = 'deleting';
    expect(await s.service.meta.updateClip(row)).toBe(true);
    const trimId = randomUUID();
    const now = Date.now();
    await s.service.meta.insertClip({
      userId: user.id,
      id: trimId,
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
      trim: { sourceId: id, from: 0.5, to: 2, exact: true, tracks: ['road', 'cabin'] },
      error: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    });
    // an upload abandoned half-way
    const abandoned = randomUUID();
    await new Api(s.url, token).upload(abandoned, clip.subarray(0, 1000), { start: 0, total: clip.length });
    await s.close();

    s = await backend.start({ abandonedUploadSeconds: 0 });
    try {
      const api = new Api(s.url, token);
      await until(async () => (await s.service.blobs.size(`clips/${user.id}/${victim}.mp4`)) === null);
      expect((await api.json(`/v1/clips/${victim}`)).status).toBe(404);
      const t = await until(async () => {
        const r = await api.json(`/v1/clips/${trimId}`);
        return r.body.state === 'ready' ? r.body : null;
      });
      expect(t.duration).toBeCloseTo(1.5, 2);
      expect((await api.json(`/v1/clips/${id}`)).body.state).toBe('ready');
      await until(async () => (await s.service.blobs.list(`parts/${user.id}/${abandoned}/`)).length === 0);
      expect((await api.json(`/v1/clips/${abandoned}`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
