/** Serving video by byte range (RFC 9110), and the Content-Range of upload chunks. */
import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rangeResponse } from 'ringclip';
import { HttpError, badRequest } from './errors.js';
import type { ContentRange, VideoSource } from './service.js';

/**
 * A video with Range, If-Range, If-None-Match and If-Modified-Since answered by the engine's
 * rangeResponse() (the device's Wi-Fi API answers from the same one). Views of a virtual
 * file go to the socket as they are: no copy, one corked write of a few large views.
 */
export async function sendVideo(
  req: FastifyRequest,
  reply: FastifyReply,
  src: VideoSource,
  cacheControl = 'private, no-cache',
): Promise<FastifyReply> {
  const answer = rangeResponse(req.headers, { size: src.size, etag: src.etag, lastModified: src.lastModified });
  reply.header('cache-control', cacheControl);
  if (answer.status === 304) return reply.code(304).headers(answer.headers).send();
  if (answer.status === 416)
    throw new HttpError(416, 'range', `the range starts past the end of the file (${src.size} bytes)`, answer.headers);
  reply.code(answer.status).headers(answer.headers).header('content-type', src.contentType);
  if (req.method === 'HEAD' || answer.end === answer.start) return reply.send();
  const body = await src.body(answer.start, answer.end);
  if (!Array.isArray(body)) return reply.send(body);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  res.cork();
  for (const view of body) res.write(view);
  res.end();
  return reply;
}

/** Content-Range of an upload chunk: `bytes a-b/total`. Without it the body is the whole file. */
export function uploadRange(header: string | undefined, contentLength: string | undefined): ContentRange {
  if (header) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
    if (!m) throw badRequest('Content-Range must be "bytes START-END/TOTAL" (END inclusive; TOTAL known)');
    const r = { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
    if (r.end < r.start || r.end >= r.total || !Number.isSafeInteger(r.total))
      throw badRequest(`Content-Range ${header} is not a valid range of the file`);
    if (contentLength !== undefined && Number(contentLength) !== r.end - r.start + 1)
      throw badRequest('Content-Length does not match Content-Range');
    return r;
  }
  if (contentLength === undefined)
    throw new HttpError(411, 'length_required', 'send Content-Length (whole file) or Content-Range (a chunk)');
  const n = Number(contentLength);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('bad Content-Length');
  return { start: 0, end: n - 1, total: n };
}
