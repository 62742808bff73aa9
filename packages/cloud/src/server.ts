/** Builds the service from a configuration: stores, queue, engine-backed service and fastify app. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { BlobStore } from './blob.js';
import { LocalBlobStore } from './blob-local.js';
import type { Config } from './config.js';
import { HttpError } from './errors.js';
import { LocalInvalidation, type Invalidation } from './invalidation.js';
import { BODY_LIMITS, clientErrorHandler, frameworkRefusal } from './refusals.js';
import type { MetaStore } from './meta.js';
import type { Queue } from './queue.js';
import { LocalQueue } from './queue.js';
import { clipRoutes } from './routes/clips.js';
import { hlsRoutes } from './routes/hls.js';
import { liveRoutes } from './routes/live.js';
import { shareRoutes } from './routes/share.js';
import { telemetryRoutes } from './routes/telemetry.js';
import { trimRoutes } from './routes/trim.js';
import { uploadRoutes } from './routes/upload.js';
import { videoRoutes } from './routes/video.js';
import { viewerRoutes } from './routes/viewer.js';
import { Service } from './service.js';
import { slotOfResponse } from './user-budget.js';
import { LiveRelay, type LiveRelayOptions } from './service/live.js';
import { defaultNotifier, type Notifier } from './service/notifier.js';

export async function openStores(
  config: Config,
): Promise<{ meta: MetaStore; blobs: BlobStore; queue: Queue; invalidation: Invalidation }> {
  await mkdir(config.dataDir, { recursive: true });
  let meta: MetaStore;
  let queue: Queue;
  let invalidation: Invalidation;
  if (config.databaseUrl) {
    const { PostgresMetaStore } = await import('./meta-postgres.js');
    const { PgBossQueue } = await import('./queue-pgboss.js');
    const { PostgresInvalidation } = await import('./invalidation-postgres.js');
    const pgMeta = new PostgresMetaStore(config.databaseUrl, config.databaseSchema);
    meta = pgMeta;
    queue = new PgBossQueue(config.databaseUrl, `${config.databaseSchema}_queue`, config.queuePollSeconds);
    invalidation = new PostgresInvalidation(config.databaseUrl, config.databaseSchema, pgMeta.pool);
  } else {
    const { SqliteMetaStore } = await import('./meta-sqlite.js');
    meta = new SqliteMetaStore(join(config.dataDir, 'ringclip.db'));
    queue = new LocalQueue();
    invalidation = new LocalInvalidation();
  }
  await meta.init();
  let blobs: BlobStore;
  if (config.s3) {
    const { S3BlobStore } = await import('./blob-s3.js');
    blobs = new S3BlobStore(config.s3);
  } else {
    blobs = new LocalBlobStore(join(config.dataDir, 'blobs'));
  }
  await blobs.init();
  return { meta, blobs, queue, invalidation };
}

export interface Server {
  app: FastifyInstance;
  service: Service;
  config: Config;
  /** http://host:port once listening */
  url: string;
  /** every route (method, path) the app serves */
  routes: Array<{ method: string; url: string }>;
  /** emergency live links (service/live.ts) */
  live: LiveRelay;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** `live`: the emergency live relay's notifier (default: a log line and webhooks) and limits. */
export async function createServer(
  config: Config,
  live: { notifier?: Notifier; options?: LiveRelayOptions } = {},
): Promise<Server> {
  const { meta, blobs, queue, invalidation } = await openStores(config);
  const service = new Service(config, meta, blobs, queue, invalidation);
  await service.start();
  const relay = new LiveRelay(join(config.dataDir, 'live'), live.notifier ?? defaultNotifier(), live.options);
  await relay.start();
  const app = Fastify({
    logger: config.logger,
    bodyLimit: BODY_LIMITS.json,
    exposeHeadRoutes: false,
    trustProxy: false,
    forceCloseConnections: true,
    clientErrorHandler,
    // URLs the router refuses before any route (a bad escape, a path segment over 100 characters).
    frameworkErrors: (err, _req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      void (reply as FastifyReply)
        .code(status)
        .header('x-content-type-options', 'nosniff')
        .send({ error: frameworkRefusal({ statusCode: status, code: err.code, message: err.message }) });
    },
  });
  // text/plain is not a JSON body either: the catch-all below refuses it.
  app.removeContentTypeParser('text/plain');

  // Upload bodies stay streams (never buffered): the upload route streams them to staging.
  // Any other route takes JSON only: a form or binary body there is refused unread (415).
  app.addContentTypeParser('*', (req, payload, done) => {
    const type = req.headers['content-type'] ?? '';
    if (req.method === 'PUT' && req.routeOptions.url === '/v1/clips/:id') {
      if (/^(application\/octet-stream|video\/mp4)\s*(;|$)/i.test(type)) return done(null, payload);
      return done(
        new HttpError(
          415,
          'unsupported_media_type',
          `upload the MP4 as application/octet-stream or video/mp4, not ${type}`,
        ),
      );
    }
    // A live link's publisher sends one endless fragmented MP4: a stream, never a parsed body.
    if (req.method === 'PUT' && req.routeOptions.url === '/v1/live/:id/stream') {
      if (/^(application\/octet-stream|video\/mp4)\s*(;|$)/i.test(type)) return done(null, payload);
      return done(
        new HttpError(415, 'unsupported_media_type', `send the live fragmented MP4 as video/mp4, not ${type}`),
      );
    }
    done(new HttpError(415, 'unsupported_media_type', `this route takes a JSON body (application/json), not ${type}`));
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      reply.code(err.status).headers(err.headers);
      if (req.method === 'HEAD') return reply.send();
      if (/^\/[sl]\/[^/]+$/.test(req.url.split('?')[0]!) && req.method === 'GET') {
        return reply
          .header('content-type', 'text/html; charset=utf-8')
          .send(
            `<!doctype html><meta charset="utf-8"><title>ringclip</title><body style="font:16px system-ui;margin:3em"><h1>${err.status === 410 ? 'This link no longer works' : 'Not found'}</h1><p>${escapeHtml(err.message)}.</p>`,
          );
      }
      return reply.send({ error: { code: err.code, message: err.message } });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      const refusal = frameworkRefusal({ ...e, statusCode: e.statusCode }, req.routeOptions.bodyLimit);
      reply.code(e.statusCode);
      return req.method === 'HEAD' ? reply.send() : reply.send({ error: refusal });
    }
    req.log.error(err);
    if (!config.logger) console.error(`ringclip-cloud: ${req.method} ${req.url}:`, err);
    return reply.code(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } }),
  );

  // Set before anything else too: videos written straight to the socket skip onSend.
  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });

  // A request to the API is authenticated on its headers, before a byte of its body is read
  // or parsed: without a valid token, a 32 MiB JSON body costs nothing. Then it takes one of
  // its user's request slots (user-budget.ts), given back when the response is done (and
  // while it waits for its client to read): one user's many connections wait in their own
  // line, not in front of other users.
  // Live links are outside the budget: a publisher's stream lasts as long as the emergency.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    const user = await service.whoIs(req);
    if (!user) {
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return; // the route refuses it
      await service.authenticate(req.headers.authorization); // 401 before the body
      return;
    }
    if (req.url.startsWith('/v1/live')) return;
    const slot = await service.budget.acquire(user.id);
    if (reply.raw.writableFinished || reply.raw.destroyed) slot.release();
    else {
      slotOfResponse.set(reply.raw, slot);
      reply.raw.once('close', () => slot.release());
    }
  });

  // Every response: its content type is the one given (a video is never sniffed as HTML).
  // JSON may carry signed video URLs: it is private to its user and never stored.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('application/json') && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'private, no-store');
    return payload;
  });

  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) routes.push({ method: m, url: r.url });
  });
  clipRoutes(app, service);
  uploadRoutes(app, service);
  videoRoutes(app, service);
  telemetryRoutes(app, service);
  hlsRoutes(app, service);
  trimRoutes(app, service);
  shareRoutes(app, service, () => server.url);
  viewerRoutes(app);
  liveRoutes(app, service, relay, () => server.url);

  const server: Server = {
    app,
    service,
    config,
    url: '',
    routes,
    live: relay,
    async listen() {
      const url = await app.listen({ host: config.host, port: config.port });
      server.url = url.replace('[::1]', 'localhost');
      return server.url;
    },
    async close() {
      await relay.close();
      await app.close();
      await service.stop();
      await meta.close();
      await blobs.close();
    },
  };
  return server;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
