/** Streams an HTTP response body to a file: written to NAME.part, fsynced, then renamed. */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type Progress = (done: number, total: number | null) => void;

export async function saveBody(res: Response, path: string, onProgress?: Progress): Promise<number> {
  if (!res.body) throw new Error('the response has no body');
  const total = res.headers.get('content-length') ? Number(res.headers.get('content-length')) : null;
  const part = `${path}.part`;
  let done = 0;
  const count = new Transform({
    transform(chunk: Buffer, _e, cb) {
      done += chunk.length;
      onProgress?.(done, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(part),
    );
    if (total !== null && done !== total) throw new Error(`the download ended after ${done} of ${total} bytes`);
    const fh = await open(part, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(part, path);
    return done;
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
}
