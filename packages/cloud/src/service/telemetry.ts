/**
 * GET /v1/clips/:id/telemetry(.gpx|.csv): the clip's telemetry, decoded from its stored file
 * once per stored version (the content hash names it) and kept in a small LRU; each request
 * only thins and renders it. Its ETag follows from the file's hash, the query and this
 * renderer's version, so a client revalidates for free.
 */
import { InvalidDataError } from 'ringclip';
import { HttpError, badRequest } from '../errors.js';
import type { ClipRow } from '../meta.js';
import {
  accelPoints,
  gpsPoints,
  keptAccel,
  keptGps,
  readTelemetry,
  type Downsampling,
  type Telemetry,
} from '../telemetry.js';
import { toCsv, toGpx } from '../telemetry-export.js';
import { copyName, type ServiceContext } from './context.js';
import { PromiseLru } from '../promise-lru.js';

/** Bump when the rendered bytes change for the same file and query (it is part of the ETag). */
const RENDER_VERSION = 1;
/** What a JSON series holds by default: enough for a 40 s clip's 100 Hz trace, unthinned. */
const DEFAULT_POINTS = 5000;
const MAX_POINTS = 1_000_000;

export type TelemetryFormat = 'json' | 'gpx' | 'csv';

export interface TelemetryQuery extends Downsampling {
  format: TelemetryFormat;
}

/** Rendered answers kept (JSON, GPX, CSV), in bytes. */
const RENDERED_BYTES = 64 * 1024 * 1024;

export interface RenderedTelemetry {
  etag: string;
  contentType: string;
  /** UTF-8, encoded once and kept: a CSV of 200,000 samples is 12 MB, re-encoded per request it costs every other request a wait */
  body: Buffer;
  /** for a download: the file name to suggest */
  filename: string | null;
}

/** The query of a telemetry request: `maxPoints`, `hz`, `format` (or the path's extension); anything else is a 400. */
export function telemetryQuery(q: Record<string, unknown>, pathFormat: TelemetryFormat | null): TelemetryQuery {
  for (const k of Object.keys(q))
    if (!['maxPoints', 'hz', 'format'].includes(k))
      throw badRequest(`unknown telemetry parameter '${k}': allowed are maxPoints, hz, format`);
  let format: TelemetryFormat = pathFormat ?? 'json';
  if (q.format !== undefined) {
    if (q.format !== 'json' && q.format !== 'gpx' && q.format !== 'csv')
      throw badRequest(`format must be json, gpx or csv, got ${JSON.stringify(q.format)}`);
    if (pathFormat && q.format !== pathFormat)
      throw badRequest(`format=${q.format} contradicts the path's .${pathFormat}`);
    format = q.format;
  }
  // Files are for other tools: every sample unless asked; the JSON feeds a page: a bounded series.
  let maxPoints = format === 'json' ? DEFAULT_POINTS : MAX_POINTS;
  if (q.maxPoints !== undefined) {
    const n = Number(q.maxPoints);
    if (typeof q.maxPoints !== 'string' || !/^\d+$/.test(q.maxPoints) || n < 2 || n > MAX_POINTS)
      throw badRequest(
        `maxPoints must be a whole number from 2 to ${MAX_POINTS} (points per series), got ${JSON.stringify(q.maxPoints)}`,
      );
    maxPoints = n;
  }
  let hz = 0;
  if (q.hz !== undefined) {
    const n = Number(q.hz);
    if (typeof q.hz !== 'string' || !/^\d+(\.\d+)?$/.test(q.hz) || !(n > 0) || n > 1000)
      throw badRequest(
        `hz must be a number of points per second above 0 and at most 1000, got ${JSON.stringify(q.hz)}`,
      );
    hz = n;
  }
  return { format, maxPoints, hz };
}

export class TelemetryService {
  #decoded: PromiseLru<Telemetry>;
  #rendered: PromiseLru<RenderedTelemetry>;
  /** How many times a stored file was decoded (the cache makes it once per file). */
  decodes = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly maxClips = 16,
  ) {
    this.#decoded = new PromiseLru(maxClips);
    // Bounded by bytes too, oldest first: one CSV of a long trace can be tens of MB.
    this.#rendered = new PromiseLru(maxClips * 4, { weight: (r) => r.body.length, maxWeight: RENDERED_BYTES });
  }

  /** The decoded telemetry of a ready clip (shared by concurrent requests). */
  telemetry(row: ClipRow): Promise<Telemetry> {
    if (row.state !== 'ready' || !row.blobKey || !row.sha256)
      throw new HttpError(409, 'not_ready', `the clip is ${row.state}: its telemetry is not available yet`);
    const name = copyName(row);
    const key = row.blobKey;
    return this.#decoded.get(name, async () => {
      const path = await this.ctx.copies.get(key, name);
      this.decodes++;
      try {
        return await readTelemetry(path);
      } catch (e) {
        if (e instanceof InvalidDataError)
          throw new HttpError(422, 'invalid_telemetry', `the clip's telemetry track cannot be read: ${e.message}`);
        throw e;
      }
    });
  }

  /** The ETag a request would get, without decoding anything (answers If-None-Match cheaply). */
  etag(row: ClipRow, q: TelemetryQuery): string {
    return `"${row.sha256!.slice(0, 32)}-t${RENDER_VERSION}-${q.format}-${q.maxPoints}-${q.hz}"`;
  }

  render(row: ClipRow, q: TelemetryQuery): Promise<RenderedTelemetry> {
    const etag = this.etag(row, q);
    return this.#rendered.get(`${copyName(row)}/${etag}`, async () => {
      const tel = await this.telemetry(row);
      const base = `clip-${row.id}-telemetry`;
      if (q.format === 'gpx')
        return {
          etag,
          contentType: 'application/gpx+xml; charset=utf-8',
          body: Buffer.from(toGpx(tel, row.meta.title ?? `ringclip clip ${row.id}`, keptGps(tel.gps, q))),
          filename: `${base}.gpx`,
        };
      if (q.format === 'csv')
        return {
          etag,
          contentType: 'text/csv; charset=utf-8',
          body: Buffer.from(toCsv(tel, keptGps(tel.gps, q), keptAccel(tel.accel, q))),
          filename: `${base}.csv`,
        };
      return {
        etag,
        contentType: 'application/json; charset=utf-8',
        body: Buffer.from(JSON.stringify(this.#json(row, tel, q))),
        filename: null,
      };
    });
  }

  #json(row: ClipRow, tel: Telemetry, q: TelemetryQuery) {
    const gps = gpsPoints(tel.gps, q);
    const accel = accelPoints(tel.accel, q);
    return {
      id: row.id,
      source: tel.track ? 'camm' : 'none',
      start: tel.start !== null ? new Date(Math.round(tel.start)).toISOString() : null,
      duration: row.duration,
      downsampling: { maxPoints: q.maxPoints, hz: q.hz || null },
      gps: {
        fields: ['t', 'lat', 'lon', 'alt', 'speed', 'heading'],
        units: ['s', 'deg', 'deg', 'm', 'm/s', 'deg'],
        samples: tel.gps.t.length,
        points: gps,
      },
      accel: {
        fields: ['t', 'x', 'y', 'z'],
        units: ['s', 'm/s2', 'm/s2', 'm/s2'],
        samples: tel.accel.t.length,
        points: accel,
      },
    };
  }

  /** forget a clip's entries (delete) */
  drop(prefix: string): void {
    this.#decoded.drop(prefix);
    this.#rendered.drop(prefix);
  }
}
