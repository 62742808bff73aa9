/**
 * Concurrent chunks of one upload (a client that retries a chunk while the first attempt is
 * still in flight, or two uploaders of the same clip): every answer is a success or a 409
 * that says where the upload is, never a 500, and the stored clip is the uploaded bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeClip, useSqliteService } from './helpers.js';

const svc = useSqliteService();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('concurrent chunks of the same upload', () => {
  it('answer 2xx or 409, never 500, and the clip ends up whole', async () => {
    const { bytes } = await makeClip(svc.tmp.dir, 6);
    const half = Math.floor(bytes.length / 2);
    const statuses = new Map<number, number>();
    for (let round = 0; round < 12; round++) {
      const id = randomUUID();
      // The first chunk sent 4 times at once, then the last chunk 8 times.
      const first = await Promise.all(
        Array.from({ length: 4 }, () => svc.api.upload(id, bytes.subarray(0, half), { start: 0, total: bytes.length })),
      );
      // Staggered by a few ms, so some arrive while the first to complete is still finishing.
      const last = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i * 3));
          return svc.api.upload(id, bytes.subarray(half), { start: half, total: bytes.length });
        }),
      );
      for (const r of [...first, ...last]) {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        expect([200, 201, 202, 409], JSON.stringify(r.body)).toContain(r.status);
        if (r.status === 409) expect(r.body.error.message).toMatch(/upload|offset|HEAD/);
      }
      // Whatever was refused, the client resumes from the offset HEAD reports.
      let head = await svc.api.fetch(`/v1/clips/${id}`, { method: 'HEAD' });
      if (head.headers.get('clip-state') === 'uploading') {
        const at = Number(head.headers.get('upload-offset'));
        expect((await svc.api.upload(id, bytes.subarray(at), { start: at, total: bytes.length })).status).toBe(201);
        head = await svc.api.fetch(`/v1/clips/${id}`, { method: 'HEAD' });
      }
      expect(head.headers.get('clip-state')).toBe('ready');
      const c = await svc.api.json(`/v1/clips/${id}`);
      expect(c.body.sha256).toBe(sha(bytes));
    }
    console.log(`upload race: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  });

  it('a retry of the last chunk while the first request is still assembling the file: the clip, not a 500', async () => {
    const { bytes } = await makeClip(svc.tmp.dir, 3);
    const half = Math.floor(bytes.length / 2);
    const blobs = svc.server.service.blobs;
    const readRange = blobs.readRange.bind(blobs);
    // Reading a part takes a while (a slow disk, S3): the window in which a second request
    // sees every byte received and starts finishing the upload too.
    blobs.readRange = async (key, start, end) => {
      if (key.startsWith('parts/')) await new Promise((r) => setTimeout(r, 150));
      return readRange(key, start, end);
    };
    try {
      const id = randomUUID();
      expect((await svc.api.upload(id, bytes.subarray(0, half), { start: 0, total: bytes.length })).status).toBe(202);
      const first = svc.api.upload(id, bytes.subarray(half), { start: half, total: bytes.length });
      await new Promise((r) => setTimeout(r, 100));
      const retry = svc.api.upload(id, bytes.subarray(half), { start: half, total: bytes.length });
      const [a, b] = await Promise.all([first, retry]);
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      expect([200, 201, 409], JSON.stringify(b.body)).toContain(b.status);
      if (b.status !== 409) expect(b.body.sha256).toBe(sha(bytes));
      expect((await svc.api.json(`/v1/clips/${id}`)).body).toMatchObject({ state: 'ready', sha256: sha(bytes) });
    } finally {
      blobs.readRange = readRange;
    }
  });
});
