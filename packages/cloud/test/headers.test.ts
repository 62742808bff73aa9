/** Response headers every client may rely on (issue 17, item 6). */
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { baseUrl } from '../src/routes/util.js';
import { Api, makeClip, sqliteBackend, tempDir, until, type Backend } from './helpers.js';
import type { Server } from '../src/server.js';

const walkDirs = (dir: string): string[] => [
  dir,
  ...readdirSync(dir)
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isDirectory())
    .flatMap(walkDirs),
];
const walk = (dir: string): string[] =>
  walkDirs(dir).flatMap((d) =>
    readdirSync(d)
      .map((n) => join(d, n))
      .filter((p) => statSync(p).isFile()),
  );

describe('headers', () => {
  const tmp = tempDir();
  let backend: Backend;
  let server: Server;
  let api: Api;
  let token = '';
  beforeAll(async () => {
    backend = sqliteBackend();
    server = await backend.start();
    token = (await server.service.createToken('alice')).token;
    api = new Api(server.url, token);
  });
  afterAll(async () => {
    await server.close();
    await backend.cleanup();
    tmp.cleanup();
  });

  it('nosniff on every response; JSON (signed video URLs in it) is private and never stored', async () => {
    const { bytes } = await makeClip(tmp.dir, 3);
    const id = '6a1c2b3d-0000-4000-8000-000000000001';
    expect((await api.upload(id, bytes)).status).toBeLessThan(300);
    const clip = await until(async () => {
      const r = await api.json(`/v1/clips/${id}`);
      return r.body?.state === 'ready' ? r : null;
    });
    expect(clip.res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(clip.res.headers.get('cache-control')).toBe('private, no-store');
    const list = await api.json('/v1/clips');
    expect(list.res.headers.get('cache-control')).toBe('private, no-store');
    const video = await api.fetch(`/v1/clips/${id}/video?track=road`, { headers: { range: 'bytes=0-99' } });
    expect(video.status).toBe(206);
    expect(video.headers.get('x-content-type-options')).toBe('nosniff');
    expect(video.headers.get('content-type')).toBe('video/mp4');
    await video.arrayBuffer();
    // refusals too
    const refused = await new Api(server.url).json('/v1/clips');
    expect(refused.status).toBe(401);
    expect(refused.res.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await api.json('/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('a body sent without a valid token is refused on its headers, before it is read', async () => {
    // A body that never ends: the answer can only come from the headers.
    let pulls = 0;
    const body = new ReadableStream({
      pull(controller) {
        pulls++;
        if (pulls === 1) controller.enqueue(new TextEncoder().encode('{"title":"' + 'x'.repeat(64 * 1024)));
        return new Promise(() => {}); // and then nothing more, ever
      },
    });
    const res = await fetch(`${server.url}/v1/clips/6a1c2b3d-0000-4000-8000-000000000002/metadata`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it("share links come from this server, never from the request's Host; trusting Host is opt-in", async () => {
    const { bytes } = await makeClip(tmp.dir, 2);
    const id = '6a1c2b3d-0000-4000-8000-000000000003';
    expect((await api.upload(id, bytes)).status).toBeLessThan(300);
    await until(async () => (await api.json(`/v1/clips/${id}`)).body?.state === 'ready');
    // fetch() will not forge Host: a raw request does
    const { port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const body = '{}';
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          `POST /v1/clips/${id}/share HTTP/1.1\r\nHost: evil.example\r\n` +
            `authorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ),
      );
      let got = '';
      socket.on('data', (d) => {
        got += String(d);
      });
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    const share = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { url: string; token: string };
    expect(share.url).toBe(`${server.url}/s/${share.token}`);
    // the rule itself: public URL > trusted Host > own loopback address > refuse
    const req = { protocol: 'http', host: 'evil.example' } as FastifyRequest;
    const config = loadConfig({}, {});
    expect(baseUrl({ ...config, publicUrl: 'https://clips.example/' }, req, 'http://127.0.0.1:8080')).toBe(
      'https://clips.example',
    );
    expect(baseUrl({ ...config, trustHost: true }, req, 'http://127.0.0.1:8080')).toBe('http://evil.example');
    expect(baseUrl(config, req, 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(() => baseUrl(config, req, 'http://0.0.0.0:8080')).toThrow(/RINGCLIP_PUBLIC_URL/);
  });

  it("a per-track video's strong ETag follows its bytes, not the stored file's modification time", async () => {
    const { bytes } = await makeClip(tmp.dir, 2);
    const id = '6a1c2b3d-0000-4000-8000-000000000004';
    expect((await api.upload(id, bytes)).status).toBeLessThan(300);
    await until(async () => (await api.json(`/v1/clips/${id}`)).body?.state === 'ready');
    const tag = async () => {
      const r = await api.fetch(`/v1/clips/${id}/video?track=road`, { method: 'HEAD' });
      expect(r.status).toBe(200);
      return r.headers.get('etag');
    };
    const before = await tag();
    expect(before).toMatch(/^"[0-9a-f]{32}-road-w\d+"$/);
    // every file the service keeps gets another mtime, and the virtual file is built again
    const later = new Date(Date.now() + 3600_000);
    for (const f of walk(server.config.dataDir)) utimesSync(f, later, later);
    server.service.virtual.drop('');
    expect(await tag()).toBe(before);
  });

  it('a refused upload leaves no file and no empty folder behind', async () => {
    const id = '6a1c2b3d-0000-4000-8000-000000000005';
    const garbage = Buffer.alloc(4096, 7);
    expect((await api.upload(id, garbage.subarray(0, 2048), { start: 0, total: 4096 })).status).toBe(202);
    expect((await api.upload(id, garbage.subarray(2048), { start: 2048, total: 4096 })).status).toBe(422);
    const blobs = join(server.config.dataDir, 'blobs');
    const empty = walkDirs(blobs).filter((d) => d !== blobs && readdirSync(d).length === 0);
    expect(empty).toEqual([]);
    expect(walk(blobs).filter((f) => f.includes(id))).toEqual([]);
  });
});
