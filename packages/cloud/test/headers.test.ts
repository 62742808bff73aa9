/** Response headers every client may rely on (issue 17, item 6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, makeClip, sqliteBackend, tempDir, until, type Backend } from './helpers.js';
import type { Server } from '../src/server.js';

describe('headers', () => {
  const tmp = tempDir();
  let backend: Backend;
  let server: Server;
  let api: Api;
  beforeAll(async () => {
    backend = sqliteBackend();
    server = await backend.start();
    const { token } = await server.service.createToken('alice');
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
      method: 'PUT', body, headers: { 'content-type': 'application/json' }, duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

