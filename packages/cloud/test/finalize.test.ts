/**
 * Finalizing an upload reads the uploaded bytes once (issue 17, item 5): the parts are read
 * once while they are assembled and hashed, the engine inspects the file from its index, and
 * on the local store the assembled file becomes the blob by a rename (no copy, no read).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { makeClip, useSqliteService } from './helpers.js';

describe('finalize', () => {
  const svc = useSqliteService();

  it('reads the uploaded bytes once and moves the assembled file into place', async () => {
    const { bytes } = await makeClip(svc.tmp.dir, 3);
    const id = '6a1c2b3d-0000-4000-8000-0000000003a1';
    const blobs = svc.server.service.blobs;
    let read = 0;
    let downloads = 0;
    const puts: Array<{ key: string; move: boolean | undefined }> = [];
    const readRange = blobs.readRange.bind(blobs);
    const download = blobs.download.bind(blobs);
    const putFile = blobs.putFile.bind(blobs);
    blobs.readRange = async (key, start, end) => {
      const stream: Readable = await readRange(key, start, end);
      stream.on('data', (c: Buffer) => {
        read += c.length;
      });
      return stream;
    };
    blobs.download = async (key, file) => {
      downloads++;
      return download(key, file);
    };
    blobs.putFile = async (key, file, move) => {
      puts.push({ key, move });
      return putFile(key, file, move);
    };
    try {
      const third = Math.ceil(bytes.length / 3);
      for (let at = 0; at < bytes.length; at += third) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + third));
        const r = await svc.api.upload(id, chunk, { start: at, total: bytes.length });
        expect(r.status).toBe(at + third >= bytes.length ? 201 : 202);
      }
    } finally {
      Object.assign(blobs, { readRange, download, putFile });
    }
    expect(read).toBe(bytes.length);
    expect(downloads).toBe(0);
    const clipPut = puts.filter((p) => p.key.startsWith('clips/'));
    expect(clipPut).toEqual([{ key: expect.stringMatching(/^clips\//), move: true }]);
    const stored = await svc.api.json(`/v1/clips/${id}`);
    expect(stored.body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
