/**
 * Malformed and hostile requests on every route (issue 17, item 3): never a 500, never a
 * framework-shaped error (FST_*), always `{ error: { code, message } }` with the right status;
 * bodies over a route's limit refused with 413, form or binary bodies on JSON routes with 415.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMITS } from '../src/refusals.js';
import type { Server } from '../src/server.js';
import { Api, makeClip, sqliteBackend, tempDir, until, type Backend } from './helpers.js';

const tmp = tempDir();
let backend: Backend;
let server: Server;
let token = '';
const id = '6a1c2b3d-0000-4000-8000-0000000000f1';
let shareToken = '';

beforeAll(async () => {
  backend = sqliteBackend();
  server = await backend.start();
  token = (await server.service.createToken('alice')).token;
  const api = new Api(server.url, token);
  const { bytes } = await makeClip(tmp.dir, 2);
  expect((await api.upload(id, bytes)).status).toBeLessThan(300);
  await until(async () => (await api.json(`/v1/clips/${id}`)).body?.state === 'ready');
  const share = await api.json(`/v1/clips/${id}/share`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  shareToken = String(share.body.url).split('/s/')[1]!;
});
afterAll(async () => {
  await server.close();
  await backend.cleanup();
  tmp.cleanup();
});

interface Sent {
  what: string;
  status: number;
  type: string;
  nosniff: string | null;
  body: string;
}

async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Sent> {
  const r = await fetch(`${server.url}${path}`, { method, headers, body });
  return {
    what: `${method} ${path} ${JSON.stringify(headers)} ${body === undefined ? '' : String(body).slice(0, 40)}`,
    status: r.status,
    type: r.headers.get('content-type') ?? '',
    nosniff: r.headers.get('x-content-type-options'),
    body: await r.text(),
  };
}

/** A refusal as every client may rely on it. */
function expectRefusal(s: Sent, status?: number, code?: string): void {
  if (status !== undefined) expect(s.status, s.what).toBe(status);
  expect(s.status, s.what).toBeGreaterThanOrEqual(400);
  expect(s.status, s.what).toBeLessThan(500);
  expect(s.nosniff, s.what).toBe('nosniff');
  if (s.body === '') return; // HEAD
  if (s.type.startsWith('text/html')) return; // the share page's error page
  expect(s.type, s.what).toMatch(/^application\/json/);
  const b = JSON.parse(s.body) as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(b), s.what).toEqual(['error']);
  expect(b.error?.code, s.what).toMatch(/^[a-z][a-z_]*$/);
  expect(String(b.error?.code), s.what).not.toMatch(/^fst/);
  expect(typeof b.error?.message === 'string' && b.error.message.length > 0, s.what).toBe(true);
  if (code !== undefined) expect(b.error?.code, s.what).toBe(code);
}

const fill = (url: string, idValue: string) =>
  url.replace(':id', idValue).replace(':shareId', 'nope').replace(':token', shareToken).replace(':file', 'nope');

describe('malformed requests on every route', () => {
  it('names the cause: bad JSON 400, a form or text body 415, null or an array where an object goes 400', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    expectRefusal(await send('PUT', `/v1/clips/${id}/metadata`, json, '{'), 400, 'invalid_json');
    expectRefusal(
      await send(
        'PUT',
        `/v1/clips/${id}/metadata`,
        { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        'kind=manual',
      ),
      415,
      'unsupported_media_type',
    );
    expectRefusal(
      await send('PUT', `/v1/clips/${id}/metadata`, { ...auth, 'content-type': 'application/octet-stream' }, 'x'),
      415,
      'unsupported_media_type',
    );
    expectRefusal(
      await send('POST', `/v1/clips/${id}/trim`, { ...auth, 'content-type': 'text/plain' }, '{}'),
      415,
      'unsupported_media_type',
    );
    expectRefusal(await send('POST', `/v1/clips/${id}/share`, json, 'null'), 400, 'bad_request');
    expectRefusal(await send('POST', `/v1/clips/${id}/share`, json, '[]'), 400, 'bad_request');
    expectRefusal(await send('PUT', `/v1/clips/${id}/metadata`, json, 'null'), 400, 'bad_request');
    expectRefusal(
      await send('PUT', `/v1/clips/${id}`, { ...auth, 'content-type': 'text/plain' }, 'x'),
      415,
      'unsupported_media_type',
    );
    // no body at all still shares with the defaults
    expect((await send('POST', `/v1/clips/${id}/share`, auth)).status).toBe(201);
  });

  it('refuses a body over its route limit with 413: metadata takes the largest G-sensor trace, small JSON routes KBs', async () => {
    const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const over = (n: number) => `{"title":"${'x'.repeat(n)}"}`;
    expectRefusal(await send('POST', `/v1/clips/${id}/trim`, json, over(BODY_LIMITS.json)), 413, 'body_too_large');
    expectRefusal(await send('POST', `/v1/clips/${id}/share`, json, over(BODY_LIMITS.json)), 413, 'body_too_large');
    expectRefusal(
      await send('PUT', `/v1/clips/${id}/metadata`, json, over(BODY_LIMITS.metadata)),
      413,
      'body_too_large',
    );
    // a 10-minute manual clip's trace (60,000 samples at 100 Hz, 3 decimals) fits
    const gsensor = Array.from({ length: 60_000 }, (_, i) => [i / 100, -1.234, 0.567, 1.089]);
    const fits = await send('PUT', `/v1/clips/${id}/metadata`, json, JSON.stringify({ gsensor }));
    expect(fits.status, fits.body.slice(0, 200)).toBe(200);
  });

  it('answers a request that is not valid HTTP with the same JSON shape', async () => {
    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('GET /v1/me HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'),
      );
      let got = '';
      socket.on('data', (d) => {
        got += String(d);
      });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/x-content-type-options: nosniff/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1]!)).toEqual({
      error: { code: 'bad_request', message: 'the request is not valid HTTP' },
    });
  });

  // last: with a valid token it also DELETEs the clip (every later route then says 404)
  it('are refused with a 4xx and one error shape, never a 500', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const ids = [id, 'nope', '..%2F..%2Fetc', 'x'.repeat(300), '%00', '6A1C2B3D-0000-4000-8000-0000000000F1'];
    const queries = [
      '',
      '?track=evil',
      '?limit=-1&cursor=%25%25&kind=A%20B&from=garbage&to=1e99',
      '?wait=abc',
      '?track=road&sig=zz&exp=1',
    ];
    const bodies: Array<{ type?: string; body?: string | Buffer }> = [
      { type: 'application/json', body: '{' },
      { type: 'application/json', body: 'null' },
      { type: 'application/json', body: '[1,2]' },
      { type: 'application/json', body: '5' },
      { type: 'application/json', body: '' },
      { type: 'application/json', body: '{"__proto__":{"x":1},"constructor":{"prototype":{}}}' },
      { type: 'application/x-www-form-urlencoded', body: 'kind=manual&title=x' },
      { type: 'text/plain', body: 'hello' },
      { type: 'application/octet-stream', body: Buffer.from([0, 1, 2]) },
    ];
    let sent = 0;
    for (const r of server.routes) {
      const withBody = r.method === 'POST' || r.method === 'PUT';
      for (const idValue of ids) {
        for (const q of queries) {
          const path = fill(r.url, idValue) + q;
          for (const headers of [
            {},
            { authorization: 'Bearer nope' },
            { authorization: 'Basic YTpi' },
            { ...auth, range: 'bytes=zzz', 'if-none-match': 'x', 'if-range': 'y' },
          ]) {
            const s = await send(r.method, path, headers);
            sent++;
            expect(s.status, s.what).not.toBeGreaterThanOrEqual(500);
            if (s.status >= 400) expectRefusal(s);
            // the API's routes all need a token (video: or a signature); the router refuses
            // a path segment over 100 characters before any route (414)
            if (
              path.startsWith('/v1/') &&
              !('authorization' in headers && headers.authorization === auth.authorization)
            )
              expect([401, 414], s.what).toContain(s.status);
          }
          if (!withBody || q !== '') continue;
          for (const b of bodies) {
            if (r.url === '/v1/clips/:id' && b.type === 'application/octet-stream') continue; // an upload: a real one below
            const s = await send(r.method, path, { ...auth, ...(b.type ? { 'content-type': b.type } : {}) }, b.body);
            sent++;
            if (s.status >= 400) expectRefusal(s);
            else expect(s.status, s.what).toBeLessThan(300);
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(1000);
  });
});
