/** Serving video by byte range (RFC 9110), and the Content-Range of upload chunks. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rangeResponse, sendableDescriptor } from 'ringclip';
import { HttpError, badRequest } from './errors.js';
import type { ContentRange, VideoSource } from './service.js';
import { slotOfResponse } from './user-budget.js';
import { ViewMap, type SendTo } from './view-map.js';

/**
 * The most of one response that goes to its socket in one write (nginx's
 * sendfile_max_chunk, for the same reason): a client that reads as fast as loopback lets it
 * would otherwise get megabytes copied into its socket at once, and every other request on
 * the server (another user's list) would wait behind that copy.
 */
export const TURN_BYTES = 128 * 1024;

/**
 * The most that all responses together write in one turn of the event loop: what bounds
 * another request's wait, however many responses are streaming (per response alone, the
 * bound grew with their number: 8 connections × 64 KiB). Measured on session 10's machine
 * (an AMD EPYC VM, 2 cores; nginx itself swings 1,430-1,950 1 MiB ranges/s between runs):
 * 64 KiB per response per turn gave 1 MiB ranges at 0.56-0.62x nginx; 256 KiB writes with
 * no shared bound 0.92x (session 9 measured another user's list at 1.9 ms with those, 1.5
 * with 64 KiB, 1.2 alone);
 * 256 KiB writes in 512 KiB turns 0.85x with that list at 1.95x its time alone (the test's
 * limit is 2); 128 KiB writes in 256 KiB turns 0.53-0.84x with the list at 1.47-1.50x.
 */
export const TURN_BUDGET_BYTES = 256 * 1024;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Bytes written this turn by every response (reset by the next turn's first immediate). */
let spentThisTurn = 0;
let resetQueued = false;
function spend(bytes: number): void {
  spentThisTurn += bytes;
  if (resetQueued) return;
  resetQueued = true;
  setImmediate(() => {
    spentThisTurn = 0;
    resetQueued = false;
  });
}

/** Waits out this turn's budget if other responses spent it, then spends `bytes` of it. */
async function turnFor(bytes: number): Promise<void> {
  // This turn's budget spent by others: wait for the next (its reset runs first).
  while (spentThisTurn >= TURN_BUDGET_BYTES) await nextTurn();
  spend(bytes);
}

/** How the bytes of video responses went out, since the process started (see sendRange). */
export const sendStats = {
  /** bytes the engine sent by sendfile: no copy in this process */
  sentZeroCopy: 0,
  /** bytes written through Node (copied into the socket): a full socket, TLS, no descriptor */
  written: 0,
  /** responses whose socket failed under a send (the client went away mid-response) */
  failedSends: 0,
};

/**
 * Writes `views` to the response at most TURN_BYTES per turn, within the turn's budget for
 * all responses (TURN_BUDGET_BYTES), waiting for 'drain' when the
 * socket is full, with the user's budget slot given back meanwhile), then ends it; stops
 * early when the client goes away.
 */
export async function writeInTurns(res: ServerResponse, views: readonly Uint8Array[]): Promise<void> {
  const slot = slotOfResponse.get(res);
  for (const view of views) {
    for (let at = 0; at < view.length; at += TURN_BYTES) {
      const chunk = view.subarray(at, at + TURN_BYTES);
      await turnFor(chunk.length);
      if (res.destroyed) return;
      sendStats.written += chunk.length;
      if (!res.write(chunk)) {
        const drained = new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done).off('close', done);
            resolve();
          };
          res.on('drain', done).on('close', done);
        });
        // Waiting for the client is not work: the user's slot is free meanwhile.
        await (slot ? slot.idle(drained) : drained);
      }
      // 'drain' may come on the next tick (the kernel took it all at once): yield the turn anyway.
      await nextTurn();
    }
  }
  if (!res.destroyed) res.end();
}

/** Sends `views` as the reply's body with its status and headers, in turns (writeInTurns). */
export async function sendInTurns(reply: FastifyReply, views: readonly Uint8Array[]): Promise<FastifyReply> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  await writeInTurns(res, views);
  return reply;
}

/**
 * Past its first MiB, a response sends half a turn's worth (LONG_TURN_BYTES) each turn: a
 * range of a MiB or so is done in 8 turns, while long responses (whole files, several at
 * once) each get a smaller, steadier share of every turn, which kept their sockets fed
 * better. Measured with the serving bench on a 2-core EPYC VM (ratios to nginx, sendfile):
 * 128 KiB a turn throughout, full GETs 0.66-0.94x and 1 MiB ranges 0.83-1.07x; 64 KiB
 * throughout, full GETs 1.04-1.2x but ranges 0.70-0.90x (twice the turns per request);
 * 128 KiB for the first MiB then 64 KiB, full GETs 1.07-1.18x, ranges 1.02-1.14x, the
 * stored dual file 0.90-1.08x; 256 KiB full GETs 0.67-0.72x.
 */
const LONG_RESPONSE_BYTES = 1024 * 1024;
const LONG_TURN_BYTES = 64 * 1024;

/**
 * What a response writes through Node when the socket is full, to learn when it has room:
 * small, as those bytes are copied; libuv writes them once the socket is writable again,
 * which the kernel reports only when a good part of its buffer is free.
 */
const PROBE_BYTES = 16 * 1024;

/** Resolves when the socket has taken the write's bytes, or the response is gone. */
function written(res: ServerResponse, view: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.on('close', done);
    res.write(view, done);
  });
}

/**
 * Sends bytes [start, end) of a video in turns as writeInTurns does, but by the engine's
 * sendTo(): the stored samples go from the file to the socket by sendfile, as nginx sends a
 * static file, with no copy through this process (on a 2-core EPYC VM the copy was a fifth
 * of the server's time serving 1 MiB ranges: 0.6x nginx with it, 0.96-1.02x without).
 * Node's socket is bypassed only while nothing waits in it (sendableDescriptor): the
 * headers first, then whatever was written through it. A turn's worth is TURN_BYTES, as
 * for writes, then LONG_TURN_BYTES past a response's first MiB.
 */
async function sendRange(res: ServerResponse, file: ViewMap, send: SendTo, start: number, end: number): Promise<void> {
  const slot = slotOfResponse.get(res);
  res.flushHeaders();
  for (let at = start; at < end;) {
    const stop = Math.min(end, at + (at - start < LONG_RESPONSE_BYTES ? TURN_BYTES : LONG_TURN_BYTES));
    await turnFor(stop - at);
    if (res.destroyed) return;
    const fd = sendableDescriptor(res.socket);
    if (fd !== null) {
      let n: number;
      try {
        n = send(fd, at, stop);
      } catch (e) {
        // The client reset or closed the connection under the send: nothing more can reach it.
        sendStats.failedSends++;
        res.destroy(e as Error);
        return;
      }
      sendStats.sentZeroCopy += n;
      at += n;
    }
    if (at < stop) {
      // No descriptor to send by: the rest of the turn's bytes through Node. A full socket:
      // a few KiB through Node, whose write completes when the socket has room again (the
      // wait libuv does for us); then sendfile goes on.
      const upTo = fd === null ? stop : Math.min(stop, at + PROBE_BYTES);
      const rest = file.slice(at, upTo);
      sendStats.written += upTo - at;
      for (let i = 0; i < rest.length - 1; i++) res.write(rest[i]!);
      const taken = written(res, rest[rest.length - 1]!);
      // Waiting for the client is not work: the user's slot is free meanwhile.
      await (slot ? slot.idle(taken) : taken);
      at = upTo;
    } else {
      await nextTurn();
    }
  }
  if (!res.destroyed) res.end();
}

/**
 * A video with Range, If-Range, If-None-Match and If-Modified-Since answered by the engine's
 * rangeResponse() (the device's Wi-Fi API answers from the same one). Views of a virtual
 * file go to the socket as they are, no copy, a turn's worth at a time (TURN_BYTES).
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
  if (!(src.body instanceof ViewMap)) return reply.send(await src.body(answer.start, answer.end));
  if (!src.body.sendTo) return sendInTurns(reply, src.body.slice(answer.start, answer.end));
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  await sendRange(res, src.body, src.body.sendTo, answer.start, answer.end);
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
