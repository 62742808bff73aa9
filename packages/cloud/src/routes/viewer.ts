/** The web viewer: a fixed set of static files (no user path ever reaches the filesystem). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const require = createRequire(import.meta.url);
const FILES: Record<string, { type: string; path: () => string }> = {
  'index.html': { type: 'text/html; charset=utf-8', path: () => WEB + 'index.html' },
  'app.js': { type: 'text/javascript; charset=utf-8', path: () => WEB + 'app.js' },
  'style.css': { type: 'text/css; charset=utf-8', path: () => WEB + 'style.css' },
  // The HLS player for browsers without native HLS (MSE): the npm package, served as is.
  'hls.js': { type: 'text/javascript; charset=utf-8', path: () => require.resolve('hls.js/dist/hls.min.js') },
};
const cache = new Map<string, Buffer>();

// media-src blob:: hls.js plays through Media Source Extensions, whose media element plays a
// blob: URL of the MediaSource.
export const CSP =
  "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function sendPage(reply: FastifyReply, name: string) {
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!file) return reply.code(404).send();
  const type = file.type;
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(file.path());
    cache.set(name, body);
  }
  return reply
    .header('content-type', type)
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

export function viewerRoutes(app: FastifyInstance): void {
  app.get('/', (_req, reply) => sendPage(reply, 'index.html'));
  app.get<{ Params: { file: string } }>('/web/:file', (req, reply) => sendPage(reply, req.params.file));
}
