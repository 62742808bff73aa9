/** PUT /v1/clips/:id — the whole file, or one Content-Range chunk of a resumable upload. */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import { uploadRange } from '../http-range.js';
import type { Service } from '../service.js';
import { uploadHeaders } from '../service.js';
import type { Params } from './util.js';

export function uploadRoutes(app: FastifyInstance, svc: Service): void {
  app.put<{ Params: Params }>('/v1/clips/:id', async (req, reply) => {
    const body = req.body as Readable | undefined;
    const drain = () => {
      if (body && typeof body.resume === 'function') body.resume();
    };
    let user;
    try {
      user = await svc.authenticate(req.headers.authorization, req);
    } catch (e) {
      drain();
      throw e;
    }
    if (!body || typeof body.pipe !== 'function') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        'upload the MP4 as application/octet-stream or video/mp4 (metadata goes to PUT /v1/clips/:id/metadata)',
      );
    }
    let range;
    try {
      range = uploadRange(req.headers['content-range'], req.headers['content-length']);
    } catch (e) {
      drain();
      throw e;
    }
    const { row, created } = await svc.receive(user, req.params.id, range, body);
    reply.headers(uploadHeaders(row));
    if (row.state === 'uploading') return reply.code(202).send(svc.view(row));
    reply.header('location', `/v1/clips/${row.id}`);
    return reply.code(created ? 201 : 200).send(svc.view(row));
  });
}
