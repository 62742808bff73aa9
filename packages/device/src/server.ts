/**
 * The Wi-Fi API the phone app talks to: HTTP bound to 127.0.0.1 (docs/device-api.md).
 * Every route but POST /pair needs the bearer token that pairing returns.
 */
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  ClipRangeError,
  InvalidArgumentError,
  microsToIso,
  rangeResponse,
  toMicros,
  type Clip,
  type LiveMP4Stream,
  type VirtualMP4,
} from 'ringclip';
import type { Dashcam } from './dashcam.js';
import type { DeviceEvent } from './events.js';
import { HlsApiError, hlsRoutes } from './hls-routes.js';

export interface ServerOptions {
  /** TCP port (default 0: any free port) */
  port?: number;
  /** only loopback addresses are allowed (default '127.0.0.1') */
  host?: '127.0.0.1' | '::1' | 'localhost';
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const iso = (us: number | null | undefined) => (us === null || us === undefined ? null : microsToIso(us));

export function eventJson(e: DeviceEvent, withTrace = true) {
  return {
    id: e.id,
    kind: e.kind,
    time: iso(e.time),
    detectedAt: iso(e.detectedAt),
    peakG: e.peakG,
    window: { from: iso(e.from), to: iso(e.to) },
    drive: e.drive,
    complete: e.complete,
    acknowledged: e.acknowledged,
    acknowledgedAt: iso(e.acknowledgedAt),
    protected: e.protectionId !== null,
    ...(e.note ? { note: e.note } : {}),
    ...(e.triggers
      ? {
          triggers: e.triggers.map((x) => ({
            kind: x.kind,
            time: iso(x.time),
            detectedAt: iso(x.detectedAt),
            peakG: x.peakG,
          })),
        }
      : {}),
    cloudClip: e.cloudClip ?? null,
    liveFromDevice: e.liveFromDevice === true,
    location: e.location ?? null,
    clip: `/events/${e.id}/clip`,
    ...(withTrace
      ? {
          trace: {
            hz: e.trace.hz,
            start: iso(e.trace.start),
            axes: ['x', 'y', 'z'],
            unit: 'g',
            samples: e.trace.samples,
          },
        }
      : {}),
  };
}

// A JSON number (µs since the epoch) is taken as its decimal text.
function text(v: unknown): unknown {
  return typeof v === 'number' ? String(v) : v;
}

function parseTime(v: unknown, what: string): number {
  if (typeof v !== 'string' || v === '')
    throw new ApiError(
      400,
      'bad_request',
      `${what} is required: an ISO-8601 time (e.g. 2026-01-01T08:00:00Z) or µs since the epoch`,
    );
  try {
    return /^\d+$/.test(v) ? toMicros(Number(v), what) : toMicros(v, what);
  } catch (err) {
    throw new ApiError(400, 'bad_request', (err as Error).message);
  }
}

const CHUNK = 1 << 20;

/** What #serveFile sends by range: a VirtualMP4, or a slice of one (an HLS segment). */
type RangeFile = Pick<VirtualMP4, 'size' | 'etag' | 'contentType' | 'read'>;

export class WifiApi {
  readonly app: FastifyInstance;
  #port: number;
  #host: string;
  #live = new Set<LiveMP4Stream>();

  constructor(
    readonly device: Dashcam,
    options: ServerOptions = {},
  ) {
    this.#port = options.port ?? 0;
    this.#host = options.host ?? '127.0.0.1';
    if (!['127.0.0.1', '::1', 'localhost'].includes(this.#host))
      throw new RangeError(`the Wi-Fi API binds to loopback only, not ${this.#host}`);
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    this.#routes();
  }

  async listen(): Promise<{ port: number; url: string }> {
    await this.app.listen({ port: this.#port, host: this.#host });
    return this.address();
  }

  address(): { port: number; url: string } {
    const a = this.app.server.address();
    const port = typeof a === 'object' && a ? a.port : this.#port;
    return { port, url: `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${port}` };
  }

  async close(abrupt: boolean): Promise<void> {
    // A clean stop sends each viewer the GOP in progress (the end of the drive), then ends
    // the stream; a power cut just drops the connections.
    if (abrupt) for (const r of this.#live) r.destroy();
    else await Promise.all([...this.#live].map((r) => r.finish()));
    this.#live.clear();
    if (abrupt) this.app.server.closeAllConnections();
    await this.app.close();
  }

  #routes(): void {
    const app = this.app,
      device = this.device;

    app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      if (err instanceof ApiError) {
        void reply.code(err.status).headers(err.headers).send({ error: err.code, message: err.message });
      } else if (err instanceof HlsApiError) {
        void reply.code(err.status).send({ error: err.code, message: err.message });
      } else if (err instanceof ClipRangeError) {
        void reply.code(404).send({ error: 'no_footage', message: err.message });
      } else if (err instanceof InvalidArgumentError) {
        void reply.code(400).send({ error: 'bad_request', message: err.message });
      } else if (err.statusCode && err.statusCode < 500) {
        void reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
      } else {
        void reply.code(500).send({ error: 'internal', message: err.message });
      }
    });
    app.setNotFoundHandler((req, reply) => {
      void reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });

    app.addHook('onRequest', async (req) => {
      if (req.method === 'POST' && req.url.split('?')[0] === '/pair') return;
      const auth = req.headers.authorization;
      const bearer = auth && /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
      const query = (req.query as Record<string, string> | undefined)?.access_token;
      if (!device.powered || !device.pairing.verify(bearer || query)) {
        throw new ApiError(
          401,
          'unauthorized',
          auth || query
            ? 'the token is not valid: pair again (POST /pair)'
            : 'pair first (POST /pair with the code the device shows), then send Authorization: Bearer <token>',
          {
            'www-authenticate': 'Bearer realm="dashcam"',
          },
        );
      }
    });

    app.post('/pair', async (req, reply) => {
      const body = (req.body ?? {}) as { code?: unknown; name?: unknown };
      const r = device.pairing.pair(body.code, typeof body.name === 'string' ? body.name : undefined);
      if (r === null) throw new ApiError(403, 'wrong_code', 'the pairing code is wrong: use the code the device shows');
      if ('locked' in r)
        throw new ApiError(429, 'too_many_attempts', `too many wrong codes: try again in ${r.locked} s`, {
          'retry-after': String(r.locked),
        });
      return reply.code(201).send({ token: r.token, tokenType: 'Bearer' });
    });

    app.get('/status', async () => {
      const s = device.status();
      return {
        ...s,
        time: iso(s.time),
        oldestFootage: iso(s.oldestFootage),
        newestFootage: iso(s.newestFootage),
        durableUntil: iso(s.durableUntil),
      };
    });

    app.get('/settings', async () => device.settings);

    app.patch('/settings', async (req) => {
      try {
        return device.updateSettings(req.body ?? {});
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError(400, 'bad_request', err.message);
        throw err;
      }
    });

    app.get('/drives', async () => {
      const info = device.store.info();
      return {
        current: info.currentDrive,
        drives: info.drives.map((d) => ({
          id: d.id,
          from: iso(d.first),
          to: iso(d.last),
          frames: d.frames,
          streams: d.streams,
          current: d.id === info.currentDrive,
        })),
      };
    });

    app.get('/events', async (req) => {
      const q = req.query as { unacknowledged?: string; trace?: string };
      let list = device.events;
      if (q.unacknowledged === 'true' || q.unacknowledged === '1') list = list.filter((e) => !e.acknowledged);
      return { events: list.map((e) => eventJson(e, q.trace !== 'false' && q.trace !== '0')) };
    });

    const findEvent = (id: string): DeviceEvent => {
      const e = device.event(id);
      if (!e) throw new ApiError(404, 'no_event', `no event '${id}'`);
      return e;
    };

    app.post('/events', async (req, reply) => {
      const body = (req.body ?? {}) as { seconds?: unknown; from?: unknown; to?: unknown };
      let e: DeviceEvent;
      try {
        if (body.from !== undefined || body.to !== undefined) {
          e = device.clipRange(parseTime(text(body.from), 'from'), parseTime(text(body.to), 'to'));
        } else {
          e = device.manualClip(body.seconds === undefined ? undefined : Number(body.seconds));
        }
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError(400, 'bad_request', err.message);
        throw err;
      }
      return reply.code(201).send(eventJson(e, false));
    });

    app.get('/events/:id', async (req) => eventJson(findEvent((req.params as { id: string }).id)));

    app.post('/events/:id/ack', async (req) => {
      const e = findEvent((req.params as { id: string }).id);
      device.acknowledge(e.id);
      return eventJson(e, false);
    });

    app.get('/events/:id/clip', async (req, reply) => {
      const e = findEvent((req.params as { id: string }).id);
      if (!e.complete) {
        const wait = Math.max(1, Math.ceil((e.to - device.now()) / 1e6));
        throw new ApiError(409, 'recording', `the event's window is still being recorded (until ${iso(e.to)})`, {
          'retry-after': String(wait),
        });
      }
      const track = (req.query as Record<string, string | undefined>).track ?? 'both';
      const cameras = device.store.streams.filter((s) => device.store.streamKinds[s] === 'video');
      if (track !== 'both' && !cameras.includes(track))
        throw new ApiError(
          400,
          'bad_request',
          `track must be both or a camera (${cameras.join(', ')}), got ${JSON.stringify(track)}`,
        );
      // One camera: its video with the clip's audio and metadata, a file every player takes
      // (Media3 plays only the first of two video tracks).
      const streams =
        track === 'both'
          ? [...device.store.streams]
          : device.store.streams.filter((s) => s === track || device.store.streamKinds[s] !== 'video');
      const clip = device.store.clip({ from: e.from, to: e.to, streams, allowPartial: true });
      return this.#serve(req, reply, clip, track === 'both' ? `${e.id}.mp4` : `${e.id}-${track}.mp4`);
    });

    const footageRange = (q: Record<string, string | undefined>) => {
      const from = parseTime(q.from, 'from'),
        to = parseTime(q.to, 'to');
      if (to <= from) throw new ApiError(400, 'bad_request', "'to' must be after 'from'");
      if (to - from > 3600e6) throw new ApiError(400, 'bad_request', 'at most one hour of footage per request');
      return { from, to };
    };

    app.get('/footage', async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const list = (q.streams ?? q.stream ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const streams = list.length ? list : [...device.store.streams];
      for (const s of streams)
        if (!device.store.streams.includes(s))
          throw new ApiError(
            400,
            'bad_request',
            `unknown stream '${s}': this device records ${device.store.streams.join(', ')}`,
          );
      const { from, to } = footageRange(q);
      const align = q.align === 'exact' ? 'exact' : 'keyframe';
      const clip = device.store.clip({
        from,
        to,
        streams,
        align,
        allowPartial: q.partial === 'true' || q.partial === '1',
      });
      return this.#serve(req, reply, clip, `footage-${streams.join('+')}.mp4`);
    });

    hlsRoutes(
      app,
      device,
      (req, reply, hls, part, filename) =>
        // A part of the rendition built alone (its own size and ETag).
        this.#serveFile(
          req,
          reply,
          part,
          () => {
            part.release();
            hls.release();
          },
          filename,
          {},
        ),
      footageRange,
    );

    app.get('/live', async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      const list = (q.streams ?? q.stream ?? 'road')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const s of list)
        if (!device.store.streams.includes(s))
          throw new ApiError(
            400,
            'bad_request',
            `unknown stream '${s}': this device records ${device.store.streams.join(', ')}`,
          );
      // From the latest key frame, so the phone sees pictures at once; the response starts
      // when the stream's timeline is known. Its prft boxes carry the capture time of every
      // fragment to the microsecond (docs/TIME.md).
      const live = device.store.liveMP4({ streams: list, from: 'keyframe' });
      this.#live.add(live);
      live.once('close', () => this.#live.delete(live));
      req.raw.once('close', () => live.destroy());
      const origin = await new Promise<number | null>((resolve) => {
        live.once('origin', (us: number) => resolve(us));
        live.once('close', () => resolve(null));
      });
      if (origin === null)
        throw new ApiError(
          503,
          'not_recording',
          'the live stream ended before it started: the device stopped recording',
        );
      return reply.code(200).headers({ 'content-type': 'video/mp4', 'cache-control': 'no-store' }).send(live);
    });
  }

  /** A clip as a virtual file: Content-Length, ETag, conditional and range requests. */
  #serve(req: FastifyRequest, reply: FastifyReply, clip: Clip, filename: string): FastifyReply {
    let file: VirtualMP4;
    try {
      file = clip.toVirtualMP4();
    } catch (err) {
      clip.release();
      throw err;
    }
    return this.#serveFile(req, reply, file, () => clip.release(), filename, {
      'x-clip-start': iso(clip.start) ?? '',
      'x-clip-end': iso(clip.end) ?? '',
      'x-clip-partial': String(clip.partial),
    });
  }

  /** A virtual file by range; `release` once its bytes are sent (or not needed). */
  #serveFile(
    req: FastifyRequest,
    reply: FastifyReply,
    file: RangeFile,
    release: () => void,
    filename: string,
    extra: Record<string, string>,
  ): FastifyReply {
    // Ranges and conditional requests: the engine's one reading of RFC 9110 (the cloud's too).
    const answer = rangeResponse(req.headers, { size: file.size, etag: file.etag });
    const headers: Record<string, string> = {
      'content-type': file.contentType,
      'cache-control': 'private, no-cache',
      ...answer.headers,
      'content-disposition': `inline; filename="${filename}"`,
      ...extra,
    };
    if (answer.status === 304) {
      release();
      return reply
        .code(304)
        .headers({ ...answer.headers, 'cache-control': headers['cache-control'] })
        .send();
    }
    if (answer.status === 416) {
      release();
      return reply
        .code(416)
        .headers(answer.headers)
        .send({ error: 'range_not_satisfiable', message: `the file has ${file.size} bytes` });
    }
    reply.code(answer.status);
    const { start, end } = answer;
    let at = start;
    const body = new Readable({
      read() {
        if (at >= end) {
          this.push(null);
          return;
        }
        const n = Math.min(CHUNK, end - at);
        try {
          this.push(file.read(at, at + n));
          at += n;
        } catch (err) {
          this.destroy(err as Error);
        }
      },
    });
    body.once('close', release);
    if (req.method === 'HEAD') {
      // The headers of the GET, Content-Length included, and no body.
      body.destroy();
      reply.hijack();
      reply.raw.writeHead(reply.statusCode, headers);
      reply.raw.end();
      return reply;
    }
    return reply.headers(headers).send(body);
  }
}
