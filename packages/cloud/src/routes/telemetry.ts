/**
 * GET /v1/clips/:id/telemetry (JSON series), /v1/clips/:id/telemetry.gpx and .csv (files),
 * and GET /s/:token/telemetry for a shared clip's viewer. Read from the clip file's camm
 * track (service/telemetry.ts); conditional on the ETag.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { TURN_BYTES, sendInTurns } from '../http-range.js';
import type { ClipRow } from '../meta.js';
import type { Service } from '../service.js';
import { telemetryQuery, type TelemetryFormat } from '../service/telemetry.js';
import type { Params } from './util.js';

type Req = FastifyRequest<{ Params: Params & { token?: string }; Querystring: Record<string, unknown> }>;

/** Does If-None-Match name this tag (or `*`)? Weak and strong tags compare alike (RFC 9110 §13.1.2). */
function matches(header: string | string[] | undefined, etag: string): boolean {
  const h = Array.isArray(header) ? header.join(',') : header;
  if (!h) return false;
  return h.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

async function send(svc: Service, req: Req, reply: FastifyReply, row: ClipRow, pathFormat: TelemetryFormat | null) {
  const q = telemetryQuery(req.query, pathFormat);
  if (row.state !== 'ready' || !row.sha256)
    throw new HttpError(409, 'not_ready', `the clip is ${row.state}: its telemetry is not available yet`);
  const etag = svc.telemetry.etag(row, q);
  reply.header('etag', etag).header('cache-control', 'private, no-cache');
  if (matches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  const out = await svc.telemetry.render(row, q);
  reply.header('content-type', out.contentType);
  if (out.filename) reply.header('content-disposition', `attachment; filename="${out.filename}"`);
  if (out.body.length <= TURN_BYTES) return reply.send(out.body);
  reply.header('content-length', out.body.length);
  return sendInTurns(reply, [out.body]);
}

export function telemetryRoutes(app: FastifyInstance, svc: Service): void {
  const owner = (format: TelemetryFormat | null) => async (req: Req, reply: FastifyReply) => {
    const user = await svc.authenticate(req.headers.authorization, req);
    return send(svc, req, reply, await svc.clip(user, req.params.id), format);
  };
  app.get('/v1/clips/:id/telemetry', owner(null));
  app.get('/v1/clips/:id/telemetry.gpx', owner('gpx'));
  app.get('/v1/clips/:id/telemetry.csv', owner('csv'));
  app.get('/s/:token/telemetry', async (req: Req, reply) => {
    const { row } = await svc.shared(req.params.token!);
    return send(svc, req, reply, row, null);
  });
}
