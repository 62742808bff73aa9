/** HTTP byte ranges (RFC 9110): Range, If-Range, If-None-Match, 206/416, HEAD. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, badRequest } from './errors.js';
import type { ContentRange, VideoSource } from './service.js';

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (single range). null: serve the whole file. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // multiple or malformed ranges: ignore, send 200
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw new HttpError(416, 'range', 'unsatisfiable range', { 'content-range': `bytes */${size}` });
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) throw new HttpError(416, 'range', `range starts past the end (${size} bytes)`, { 'content-range': `bytes */${size}` });
  return { start, end };
}

export async function sendVideo(req: FastifyRequest, reply: FastifyReply, src: VideoSource, cacheControl = 'private, no-cache'): Promise<FastifyReply> {
  reply.header('accept-ranges', 'bytes');
  reply.header('etag', src.etag);
  reply.header('last-modified', new Date(src.lastModified).toUTCString());
  reply.header('cache-control', cacheControl);
  reply.header('content-type', src.contentType);
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim() === src.etag || t.trim() === '*')) {
    return reply.code(304).send();
  }
  let range = parseRange(req.headers.range, src.size);
  const ifRange = req.headers['if-range'];
  if (range && ifRange && ifRange !== src.etag) range = null; // the file changed: send it whole
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : src.size;
  if (range) {
    reply.code(206);
    reply.header('content-range', `bytes ${start}-${end - 1}/${src.size}`);
  }
  reply.header('content-length', String(end - start));
  if (req.method === 'HEAD') return reply.send();
  return reply.send(await src.read(start, end));
}

/** Content-Range of an upload chunk: `bytes a-b/total`. Without it the body is the whole file. */
export function uploadRange(header: string | undefined, contentLength: string | undefined): ContentRange {
  if (header) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
    if (!m) throw badRequest('Content-Range must be "bytes START-END/TOTAL" (END inclusive; TOTAL known)');
    const r = { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
    if (r.end < r.start || r.end >= r.total || !Number.isSafeInteger(r.total)) throw badRequest(`Content-Range ${header} is not a valid range of the file`);
    if (contentLength !== undefined && Number(contentLength) !== r.end - r.start + 1) throw badRequest('Content-Length does not match Content-Range');
    return r;
  }
  if (contentLength === undefined) throw new HttpError(411, 'length_required', 'send Content-Length (whole file) or Content-Range (a chunk)');
  const n = Number(contentLength);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('bad Content-Length');
  return { start: 0, end: n - 1, total: n };
}
