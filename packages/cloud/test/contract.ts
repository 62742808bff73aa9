/**
 * The contract both back ends pass: the clips API end to end over HTTP on 127.0.0.1,
 * with real clips from the engine checked by ffprobe/ffmpeg.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrors, ffprobe } from '../../../test/helpers/tools.js';
import type { Server } from '../src/server.js';
import { Api, T0, makeClip, tempDir, trace, until, type Backend } from './helpers.js';

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

export function defineContract(name: string, make: () => Promise<Backend | null>): void {
  describe(`clips API contract: ${name}`, () => {
    const tmp = tempDir();
    let backend: Backend | null;
    let server: Server;
    let alice: Api;
    let bob: Api;
    let anon: Api;
    let clip6: Buffer; // 6 s dual clip
    let clip3: Buffer; // 3 s dual clip, other content start
    let cabinOnly: Buffer;

    beforeAll(async () => {
      backend = await make();
      if (!backend) return;
      server = await backend.start();
      alice = new Api(server.url, (await server.service.createToken('alice')).token);
      bob = new Api(server.url, (await server.service.createToken('bob')).token);
      anon = new Api(server.url);
      clip6 = (await makeClip(tmp.dir, 6)).bytes;
      clip3 = (await makeClip(tmp.dir, 3, { startS: 2 })).bytes;
      cabinOnly = (await makeClip(tmp.dir, 2, { streams: ['cabin'] })).bytes;
    });
    afterAll(async () => {
      await server?.close();
      await backend?.cleanup();
      tmp.cleanup();
    });

    /** blob keys of one clip (parts and stored file) */
    const blobsOf = async (userName: 'alice' | 'bob', id: string) => {
      const user = await server.service.meta.ensureUser(userName);
      const all = [
        ...(await server.service.blobs.list(`clips/${user.id}/`)),
        ...(await server.service.blobs.list(`parts/${user.id}/`)),
      ];
      return all.filter((k) => k.includes(id));
    };

    const uploaded = async (api: Api, bytes: Buffer, meta?: Record<string, unknown>) => {
      const id = randomUUID();
      if (meta) expect((await api.metadata(id, meta)).status).toBe(200);
      const r = await api.upload(id, bytes);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return id;
    };

    it('checks the bearer token on every route', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip3);
      const wrong = new Api(server.url, `rc_${randomBytes(32).toString('base64url')}`);
      const malformed = new Api(server.url, 'hello');
      const routes: Array<[string, string, unknown?]> = [
        ['GET', '/v1/me'],
        ['GET', '/v1/clips'],
        ['GET', `/v1/clips/${id}`],
        ['HEAD', `/v1/clips/${id}`],
        ['PUT', `/v1/clips/${id}`, Buffer.from('x')],
        ['PUT', `/v1/clips/${id}/metadata`, { kind: 'manual' }],
        ['GET', `/v1/clips/${id}/video?track=both`],
        ['GET', `/v1/clips/${id}/video?track=road`],
        ['HEAD', `/v1/clips/${id}/video?track=both`],
        ['POST', `/v1/clips/${id}/trim`, { from: 0, to: 1 }],
        ['POST', `/v1/clips/${id}/share`, {}],
        ['GET', `/v1/clips/${id}/shares`],
        ['DELETE', `/v1/clips/${id}/shares/${randomUUID()}`],
        ['DELETE', `/v1/clips/${id}`],
      ];
      for (const api of [anon, wrong, malformed]) {
        for (const [method, path, body] of routes) {
          const isJson = body !== undefined && !Buffer.isBuffer(body);
          const res = await api.fetch(path, {
            method,
            body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as Buffer),
            headers:
              body === undefined ? {} : { 'content-type': isJson ? 'application/json' : 'application/octet-stream' },
          });
          expect(res.status, `${method} ${path}`).toBe(401);
          if (method !== 'HEAD') expect((await res.json()).error.code).toBe('unauthorized');
        }
      }
      // nothing changed
      expect((await alice.json(`/v1/clips/${id}`)).body.state).toBe('ready');
      expect((await alice.json('/v1/me')).body.name).toBe('alice');
    });

    it('uploads a clip idempotently: a retry never duplicates, other bytes under the same id conflict', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = randomUUID();
      const m = await alice.metadata(id, {
        kind: 'hard_brake',
        time: '2026-03-01T10:00:00Z',
        eventOffset: 3,
        location: { lat: 52.52, lon: 13.4 },
        gsensor: trace(6),
      });
      expect(m.status).toBe(200);
      expect(m.body.state).toBe('uploading');
      const first = await alice.upload(id, clip6);
      expect(first.status).toBe(201);
      expect(first.res.headers.get('location')).toBe(`/v1/clips/${id}`);
      const c = first.body;
      expect(c).toMatchObject({
        id,
        state: 'ready',
        kind: 'hard_brake',
        time: '2026-03-01T10:00:00.000Z',
        eventOffset: 3,
        size: clip6.length,
        sha256: sha(clip6),
        location: { lat: 52.52, lon: 13.4 },
      });
      expect(c.duration).toBeCloseTo(6, 1);
      expect(c.tracks.map((t: { role: string }) => t.role)).toEqual(['road', 'cabin']);
      expect(c.tracks[0]).toMatchObject({ name: 'road', width: 1920, height: 1080, offset: 0 });
      // The legacy gsensor field is accepted and not kept: telemetry is the clip file's camm track.
      expect(c).not.toHaveProperty('gsensor');
      expect(c).toMatchObject({ hasTrace: false, hasAudio: false });
      const again = await alice.upload(id, clip6);
      expect(again.status).toBe(200);
      expect(again.body.sha256).toBe(sha(clip6));
      const other = await alice.upload(id, clip3);
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('exists');
      const list = await alice.json('/v1/clips?limit=200');
      expect(list.body.clips.filter((x: { id: string }) => x.id === id)).toHaveLength(1);
      // metadata after the upload replaces it
      const m2 = await alice.metadata(id, { kind: 'collision', time: '2026-03-01T10:00:00Z' });
      expect(m2.body).toMatchObject({ kind: 'collision', state: 'ready', location: null });
      expect(m2.body).not.toHaveProperty('gsensor');
      // the stored bytes are the uploaded ones
      const both = await alice.fetch(`/v1/clips/${id}/video?track=both`);
      expect(both.status).toBe(200);
      expect(sha(Buffer.from(await both.arrayBuffer()))).toBe(sha(clip6));
    });

    it('rejects bad metadata and bad ids with clear errors', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = randomUUID();
      for (const [meta, msg] of [
        [{ kind: 'Hard Brake!' }, /kind/],
        [{ time: 'yesterday' }, /ISO 8601/],
        [{ location: { lat: 100, lon: 0 } }, /location.lat/],
        [{ gsensor: [[0, 1, 2]] }, /gsensor\[0\]/],
        [
          {
            gsensor: [
              [1, 0, 0, 0],
              [0, 0, 0, 0],
            ],
          },
          /backwards/,
        ],
        [{ colour: 'red' }, /unknown metadata field/],
        [[1], /object/],
      ] as const) {
        const r = await alice.metadata(id, meta);
        expect(r.status, JSON.stringify(meta)).toBe(400);
        expect(r.body.error.message).toMatch(msg);
      }
      for (const bad of ['not-a-uuid', '..%2F..%2Fetc%2Fpasswd', `${randomUUID()}x`]) {
        const r = await alice.upload(bad, Buffer.from('x'));
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(/UUID/);
      }
      expect((await alice.json(`/v1/clips/${id}`)).status).toBe(404);
    });

    it('lists newest first with paging and filters by kind and time', async (ctx) => {
      if (!backend) return ctx.skip();
      const { token } = await server.service.createToken(`lister-${randomBytes(3).toString('hex')}`);
      const api = new Api(server.url, token);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(
          await uploaded(api, clip3, {
            kind: i % 2 ? 'collision' : 'hard_brake',
            time: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
          }),
        );
      const all = await api.json('/v1/clips');
      expect(all.body.clips.map((c: { id: string }) => c.id)).toEqual([...ids].reverse());
      expect(all.body.clips[0]).not.toHaveProperty('gsensor');
      const p1 = await api.json('/v1/clips?limit=2');
      expect(p1.body.clips.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]]);
      const p2 = await api.json(`/v1/clips?limit=2&cursor=${p1.body.nextCursor}`);
      expect(p2.body.clips.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
      const p3 = await api.json(`/v1/clips?limit=2&cursor=${p2.body.nextCursor}`);
      expect(p3.body.clips.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
      expect(p3.body.nextCursor).toBeNull();
      const coll = await api.json('/v1/clips?kind=collision');
      expect(coll.body.clips.map((c: { id: string }) => c.id)).toEqual([ids[3], ids[1]]);
      const range = await api.json('/v1/clips?from=2026-01-02T00:00:00Z&to=2026-01-04T00:00:00Z');
      expect(range.body.clips.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
      expect((await api.json('/v1/clips?limit=0')).status).toBe(400);
      expect((await api.json('/v1/clips?cursor=zzz')).status).toBe(400);
      // a clip without metadata sorts by the capture time the MP4 carries
      const plain = await uploaded(api, clip3);
      expect((await api.json(`/v1/clips/${plain}`)).body.time).toBe(new Date(T0 / 1000 + 2000).toISOString());
    });

    it('resumes a chunked upload: HEAD tells the offset, wrong offsets conflict, repeated chunks are no-ops', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = randomUUID();
      const total = clip6.length;
      const a = Math.floor(total / 3);
      const b = Math.floor((2 * total) / 3);
      expect((await alice.fetch(`/v1/clips/${id}`, { method: 'HEAD' })).status).toBe(404);
      const r1 = await alice.upload(id, clip6.subarray(0, a), { start: 0, total });
      expect(r1.status).toBe(202);
      expect(r1.res.headers.get('upload-offset')).toBe(String(a));
      expect(r1.body.upload).toEqual({ received: a, size: total });
      const head = await alice.fetch(`/v1/clips/${id}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('upload-offset')).toBe(String(a));
      expect(head.headers.get('upload-length')).toBe(String(total));
      expect(head.headers.get('range')).toBe(`bytes=0-${a - 1}`);
      // a gap is refused, telling where to resume
      const gap = await alice.upload(id, clip6.subarray(b), { start: b, total });
      expect(gap.status).toBe(409);
      expect(gap.res.headers.get('upload-offset')).toBe(String(a));
      // another total is refused
      expect((await alice.upload(id, clip6.subarray(a, b), { start: a, total: total + 1 })).status).toBe(409);
      // the same first chunk again (a retry): nothing changes
      const rep = await alice.upload(id, clip6.subarray(0, a), { start: 0, total });
      expect(rep.status).toBe(202);
      expect(rep.res.headers.get('upload-offset')).toBe(String(a));
      // overlapping chunk: the known bytes are skipped
      const r2 = await alice.upload(id, clip6.subarray(a - 100, b), { start: a - 100, total });
      expect(r2.status).toBe(202);
      expect(r2.res.headers.get('upload-offset')).toBe(String(b));
      // not listed while uploading
      expect((await alice.json('/v1/clips?limit=200')).body.clips.some((c: { id: string }) => c.id === id)).toBe(false);
      const r3 = await alice.upload(id, clip6.subarray(b), { start: b, total });
      expect(r3.status).toBe(201);
      expect(r3.body.sha256).toBe(sha(clip6));
      const r4 = await alice.upload(id, clip6.subarray(b), { start: b, total }); // lost-response retry
      expect(r4.status).toBe(200);
      expect(await blobsOf('alice', id)).toEqual([expect.stringMatching(/^clips\//)]);
      const both = Buffer.from(await (await alice.fetch(`/v1/clips/${id}/video`)).arrayBuffer());
      expect(sha(both)).toBe(sha(clip6));
    });

    it('an interrupted upload keeps what arrived and resumes from there', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = randomUUID();
      const total = clip6.length;
      const sent = 1_500_000;
      const url = new URL(`/v1/clips/${id}`, server.url);
      await new Promise<void>((resolve) => {
        const req = request(url, {
          method: 'PUT',
          headers: { ...alice.headers(), 'content-type': 'application/octet-stream', 'content-length': String(total) },
        });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        req.write(clip6.subarray(0, sent), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 300),
        );
      });
      const offset = await until(async () => {
        const h = await alice.fetch(`/v1/clips/${id}`, { method: 'HEAD' });
        return h.status === 200 && Number(h.headers.get('upload-offset')) > 0
          ? Number(h.headers.get('upload-offset'))
          : null;
      });
      expect(offset).toBeLessThanOrEqual(sent);
      expect((await alice.json(`/v1/clips/${id}`)).body.state).toBe('uploading');
      expect((await alice.fetch(`/v1/clips/${id}/video`)).status).toBe(409);
      const done = await alice.upload(id, clip6.subarray(offset), { start: offset, total });
      expect(done.status).toBe(201);
      expect(done.body.sha256).toBe(sha(clip6));
    });

    it('rejects what is not an MP4 with H.264 video, leaving nothing stored', async (ctx) => {
      if (!backend) return ctx.skip();
      const cases: Array<[string, Buffer]> = [
        ['garbage', randomBytes(50_000)],
        ['truncated', clip6.subarray(0, Math.floor(clip6.length / 2))],
        ['text', Buffer.from('hello, this is not a video')],
      ];
      for (const [what, bytes] of cases) {
        const id = randomUUID();
        await alice.metadata(id, { kind: 'manual' });
        const half = Math.floor(bytes.length / 2);
        expect((await alice.upload(id, bytes.subarray(0, half), { start: 0, total: bytes.length })).status).toBe(202);
        const r = await alice.upload(id, bytes.subarray(half), { start: half, total: bytes.length });
        expect(r.status, what).toBe(422);
        expect(r.body.error.code).toBe('invalid_video');
        expect(r.body.error.message).toMatch(/not a usable MP4 with H\.264 video/);
        expect((await alice.json(`/v1/clips/${id}`)).status).toBe(404);
        expect((await alice.fetch(`/v1/clips/${id}`, { method: 'HEAD' })).status).toBe(404);
        expect(await blobsOf('alice', id)).toEqual([]);
        // the id is free again: a good upload under it works
        if (what === 'garbage') expect((await alice.upload(id, clip3)).status).toBe(201);
      }
      // too large: refused before any byte is stored
      const id = randomUUID();
      const big = await alice.upload(id, Buffer.alloc(10), { start: 0, total: server.config.maxClipBytes + 1 });
      expect(big.status).toBe(413);
      expect(await blobsOf('alice', id)).toEqual([]);
      expect((await alice.upload(randomUUID(), Buffer.alloc(0))).status).toBe(400);
      // a chunked body longer than its Content-Range: refused, nothing kept
      const longId = randomUUID();
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(new URL(`/v1/clips/${longId}`, server.url), {
          method: 'PUT',
          headers: {
            ...alice.headers(),
            'content-type': 'application/octet-stream',
            'content-range': `bytes 0-999/${clip3.length}`,
            'transfer-encoding': 'chunked',
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(clip3.subarray(0, 5000));
      });
      expect(status).toBe(400);
      expect((await alice.fetch(`/v1/clips/${longId}`, { method: 'HEAD' })).headers.get('upload-offset')).toBe('0');
      expect(await blobsOf('alice', longId)).toEqual([]);
      // JSON where the video belongs
      const j = await alice.json(`/v1/clips/${randomUUID()}`, {
        method: 'PUT',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(j.status).toBe(415);
    });

    it('streams road, cabin and both with ranges, Content-Length and strong ETags', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip6);
      const both = await alice.fetch(`/v1/clips/${id}/video?track=both`, { headers: { range: 'bytes=100-1099' } });
      expect(both.status).toBe(206);
      expect(both.headers.get('content-range')).toBe(`bytes 100-1099/${clip6.length}`);
      expect(both.headers.get('content-length')).toBe('1000');
      expect(both.headers.get('accept-ranges')).toBe('bytes');
      const etag = both.headers.get('etag')!;
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(Buffer.from(await both.arrayBuffer())).toEqual(clip6.subarray(100, 1100));
      const suffix = await alice.fetch(`/v1/clips/${id}/video?track=both`, { headers: { range: 'bytes=-10' } });
      expect(Buffer.from(await suffix.arrayBuffer())).toEqual(clip6.subarray(clip6.length - 10));
      expect(
        (await alice.fetch(`/v1/clips/${id}/video?track=both`, { headers: { 'if-none-match': etag } })).status,
      ).toBe(304);
      const bad = await alice.fetch(`/v1/clips/${id}/video?track=both`, {
        headers: { range: `bytes=${clip6.length}-` },
      });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${clip6.length}`);
      const head = await alice.fetch(`/v1/clips/${id}/video?track=cabin`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      for (const [track, width] of [
        ['road', 1920],
        ['cabin', 1280],
      ] as const) {
        const res = await alice.fetch(`/v1/clips/${id}/video?track=${track}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('video/mp4');
        const body = Buffer.from(await res.arrayBuffer());
        expect(res.headers.get('content-length')).toBe(String(body.length));
        const tag = res.headers.get('etag')!;
        expect(tag).toMatch(/^"[^"]+"$/);
        // ranged pieces put back together are the same file
        const mid = Math.floor(body.length / 2);
        const p1 = await alice.fetch(`/v1/clips/${id}/video?track=${track}`, {
          headers: { range: `bytes=0-${mid - 1}` },
        });
        const p2 = await alice.fetch(`/v1/clips/${id}/video?track=${track}`, {
          headers: { range: `bytes=${mid}-`, 'if-range': tag },
        });
        expect(p2.status).toBe(206);
        expect(sha(Buffer.concat([Buffer.from(await p1.arrayBuffer()), Buffer.from(await p2.arrayBuffer())]))).toBe(
          sha(body),
        ); // (toEqual on MBs is slow)
        expect(
          (await alice.fetch(`/v1/clips/${id}/video?track=${track}`, { headers: { 'if-none-match': tag } })).status,
        ).toBe(304);
        const file = join(tmp.dir, `${id}-${track}.mp4`);
        writeFileSync(file, body);
        const probe = ffprobe(file);
        expect(probe.streams).toHaveLength(1);
        expect(probe.streams[0]!.width).toBe(width);
        expect(decodeErrors(file)).toBe('');
      }
      expect((await alice.fetch(`/v1/clips/${id}/video?track=rear`)).status).toBe(400);
      // a cabin-only clip has no road track
      const cab = await uploaded(alice, cabinOnly);
      expect((await alice.json(`/v1/clips/${cab}`)).body.tracks.map((t: { role: string }) => t.role)).toEqual([
        'cabin',
      ]);
      expect((await alice.fetch(`/v1/clips/${cab}/video?track=road`)).status).toBe(404);
      expect((await alice.fetch(`/v1/clips/${cab}/video?track=cabin`)).status).toBe(200);
    });

    it('hands out signed video URLs for <video> elements: scoped, tamper-proof', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip3);
      const c = (await alice.json(`/v1/clips/${id}`)).body;
      expect(Object.keys(c.video).sort()).toEqual(['both', 'cabin', 'road']);
      const ok = await anon.fetch(c.video.cabin, { headers: { range: 'bytes=0-99' } });
      expect(ok.status).toBe(206);
      const tampered = c.video.cabin.replace('track=cabin', 'track=road');
      expect((await anon.fetch(tampered)).status).toBe(401);
      const otherClip = c.video.cabin.replace(id, await uploaded(alice, clip3));
      expect((await anon.fetch(otherClip)).status).toBe(401);
      const expired = c.video.cabin.replace(/exp=\d+/, 'exp=1000');
      expect((await anon.fetch(expired)).status).toBe(403);
    });

    it('trims on the server into a new clip, keyframe-aligned or frame-exact', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip6, { kind: 'collision', eventOffset: 3, gsensor: trace(6) });
      const exact = await alice.json(`/v1/clips/${id}/trim?wait=30`, {
        method: 'POST',
        body: JSON.stringify({ from: 2.5, to: 4, exact: true }),
        headers: { 'content-type': 'application/json' },
      });
      expect(exact.status, JSON.stringify(exact.body)).toBe(201);
      expect(exact.body).toMatchObject({
        state: 'ready',
        kind: 'collision',
        trimmedFrom: { id, from: 2.5, to: 4, exact: true },
      });
      expect(exact.body.duration).toBeCloseTo(1.5, 2);
      expect(exact.body.id).not.toBe(id);
      const file = join(tmp.dir, 'trim-exact.mp4');
      writeFileSync(file, Buffer.from(await (await alice.fetch(`/v1/clips/${exact.body.id}/video`)).arrayBuffer()));
      expect(decodeErrors(file)).toBe('');
      const frames = ffprobe(file, true).streams.map((s) => Number(s.nb_read_frames));
      expect(frames).toEqual([45, 45]);
      // keyframe-aligned (default), one track, client-chosen id: the retry returns the same clip
      const tid = randomUUID();
      const body = JSON.stringify({ from: 2.5, to: 4, tracks: ['cabin'], id: tid });
      const kf = await alice.json(`/v1/clips/${id}/trim`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect([201, 202]).toContain(kf.status);
      expect(kf.body.id).toBe(tid);
      const again = await alice.json(`/v1/clips/${id}/trim`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expect(again.body.id).toBe(tid);
      const done = await until(async () => {
        const r = await alice.json(`/v1/clips/${tid}`);
        return r.body.state === 'ready' ? r.body : null;
      });
      expect(done.tracks.map((t: { role: string }) => t.role)).toEqual(['cabin']);
      expect(done.duration).toBeCloseTo(2, 2); // from the key frame at 2 s (GOP 30 at 30 fps)
      expect(done.eventOffset).toBeCloseTo(1, 5);
      for (const [b, code] of [
        [{ from: 3, to: 2 }, 400],
        [{ from: 'a', to: 2 }, 400],
        [{ from: 0, to: 1, tracks: ['rear'] }, 400],
        [{ from: 60, to: 70 }, 422],
        [{ from: 0, to: 1, speed: 2 }, 400],
      ] as const) {
        const r = await alice.json(`/v1/clips/${id}/trim`, {
          method: 'POST',
          body: JSON.stringify(b),
          headers: { 'content-type': 'application/json' },
        });
        expect(r.status, JSON.stringify(b)).toBe(code);
      }
    });

    it('shares with an unguessable, expiring, revocable link to a read-only viewer', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip3, { kind: 'hard_brake', gsensor: trace(3) });
      const s = await alice.json(`/v1/clips/${id}/share`, {
        method: 'POST',
        body: JSON.stringify({ expiresIn: 3600 }),
        headers: { 'content-type': 'application/json' },
      });
      expect(s.status).toBe(201);
      expect(s.body.url).toBe(`${server.url}/s/${s.body.token}`);
      expect(Buffer.from(s.body.token, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(s.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
      const page = await anon.fetch(`/s/${s.body.token}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const meta = await anon.json(`/s/${s.body.token}/clip`);
      expect(meta.body).toMatchObject({ id, shared: true, kind: 'hard_brake' });
      expect(meta.body.video.cabin).toBe(`/s/${s.body.token}/video?track=cabin`);
      const v = await anon.fetch(meta.body.video.road, { headers: { range: 'bytes=0-9' } });
      expect(v.status).toBe(206);
      // the share link reaches only this clip's video, and the API is not opened by it
      expect((await new Api(server.url, s.body.token).fetch('/v1/clips')).status).toBe(401);
      const list = await alice.json(`/v1/clips/${id}/shares`);
      expect(list.body.shares).toEqual([expect.objectContaining({ id: s.body.id, active: true })]);
      expect(JSON.stringify(list.body)).not.toContain(s.body.token);
      // revoke
      expect((await alice.fetch(`/v1/clips/${id}/shares/${s.body.id}`, { method: 'DELETE' })).status).toBe(204);
      for (const p of ['', '/clip', '/video?track=road'])
        expect((await anon.fetch(`/s/${s.body.token}${p}`)).status).toBe(410);
      // expire
      const short = await alice.json(`/v1/clips/${id}/share`, {
        method: 'POST',
        body: JSON.stringify({ expiresIn: 1 }),
        headers: { 'content-type': 'application/json' },
      });
      expect((await anon.fetch(`/s/${short.body.token}/clip`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await anon.fetch(`/s/${short.body.token}/clip`)).status).toBe(410);
      expect((await anon.fetch(`/s/${short.body.token}/video?track=cabin`)).status).toBe(410);
      // unknown and malformed tokens
      expect((await anon.fetch(`/s/${randomBytes(32).toString('base64url')}`)).status).toBe(404);
      expect((await anon.fetch('/s/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
      for (const b of [{ expiresIn: 0 }, { expiresIn: 1e12 }, { expiresAt: '2000-01-01T00:00:00Z' }]) {
        expect(
          (
            await alice.json(`/v1/clips/${id}/share`, {
              method: 'POST',
              body: JSON.stringify(b),
              headers: { 'content-type': 'application/json' },
            })
          ).status,
        ).toBe(400);
      }
    });

    it("keeps users apart: B cannot see, stream, trim, share or delete A's clips (404, no existence leak)", async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip3, { kind: 'collision' });
      const never = randomUUID();
      const same = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
        const a = await bob.fetch(path.replace('ID', id), init);
        const b = await bob.fetch(path.replace('ID', never), init);
        expect(a.status, path).toBe(404);
        expect(b.status, path).toBe(404);
        if (init.method !== 'HEAD') expect(await a.text()).toBe(await b.text());
      };
      await same('/v1/clips/ID');
      await same('/v1/clips/ID', { method: 'HEAD' });
      await same('/v1/clips/ID/video?track=both');
      await same('/v1/clips/ID/video?track=cabin');
      await same('/v1/clips/ID/trim', {
        method: 'POST',
        body: JSON.stringify({ from: 0, to: 1 }),
        headers: { 'content-type': 'application/json' },
      });
      await same('/v1/clips/ID/share', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await same('/v1/clips/ID/shares');
      await same('/v1/clips/ID', { method: 'DELETE' });
      expect((await bob.json('/v1/clips?limit=200')).body.clips.some((c: { id: string }) => c.id === id)).toBe(false);
      // A's signed URL does not work for B's session either way: it is bound to A's clip only
      // B may use the same UUID for a clip of its own: separate namespaces, nothing shared
      expect((await bob.upload(id, clip6)).status).toBe(201);
      expect((await bob.json(`/v1/clips/${id}`)).body.sha256).toBe(sha(clip6));
      expect((await alice.json(`/v1/clips/${id}`)).body.sha256).toBe(sha(clip3));
      expect((await bob.fetch(`/v1/clips/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.json(`/v1/clips/${id}`)).status).toBe(200);
      expect((await alice.fetch(`/v1/clips/${id}/video?track=both`)).status).toBe(200);
    });

    it('deletes permanently: metadata, stored bytes and share links', async (ctx) => {
      if (!backend) return ctx.skip();
      const id = await uploaded(alice, clip3, { kind: 'manual' });
      await alice.fetch(`/v1/clips/${id}/video?track=cabin`); // warm the caches
      const s = await alice.json(`/v1/clips/${id}/share`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      const signed = (await alice.json(`/v1/clips/${id}`)).body.video.road;
      expect((await blobsOf('alice', id)).length).toBe(1);
      expect((await alice.fetch(`/v1/clips/${id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await alice.json(`/v1/clips/${id}`)).status).toBe(404);
      expect((await alice.fetch(`/v1/clips/${id}/video?track=both`)).status).toBe(404);
      expect((await anon.fetch(signed)).status).toBe(404);
      expect([404, 410]).toContain((await anon.fetch(`/s/${s.body.token}/clip`)).status); // 410 (revoked) until the queued delete removes it: 404
      expect((await alice.fetch(`/v1/clips/${id}`, { method: 'DELETE' })).status).toBe(404);
      await until(async () => (await blobsOf('alice', id)).length === 0);
      await until(
        async () =>
          (await server.service.meta.getClip((await server.service.meta.ensureUser('alice')).id, id)) === null,
      );
      expect(await server.service.meta.shareByHash(createHash('sha256').update(s.body.token).digest('hex'))).toBeNull();
      // an unfinished upload can be deleted too (its parts go)
      const up = randomUUID();
      await alice.upload(up, clip3.subarray(0, 1000), { start: 0, total: clip3.length });
      expect((await blobsOf('alice', up)).length).toBe(1);
      expect((await alice.fetch(`/v1/clips/${up}`, { method: 'DELETE' })).status).toBe(204);
      await until(async () => (await blobsOf('alice', up)).length === 0);
    });

    it('loses nothing under concurrent chunked uploads and ranged reads', async (ctx) => {
      if (!backend) return ctx.skip();
      const clips = [clip6, clip3, cabinOnly, clip6, clip3, clip6];
      const ids = clips.map(() => randomUUID());
      const readers = await Promise.all([uploaded(alice, clip6), uploaded(alice, clip3)]);
      const chunk = 512 * 1024;
      let reads = 0;
      let stop = false;
      const reader = async (rid: string, bytes: Buffer) => {
        while (!stop) {
          const at = Math.floor(Math.random() * (bytes.length - 5000));
          const r = await alice.fetch(`/v1/clips/${rid}/video?track=both`, {
            headers: { range: `bytes=${at}-${at + 4999}` },
          });
          expect(r.status).toBe(206);
          expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes.subarray(at, at + 5000));
          const t = await alice.fetch(`/v1/clips/${rid}/video?track=cabin`, { headers: { range: 'bytes=0-65535' } });
          expect(t.status).toBe(206);
          await t.arrayBuffer();
          reads += 2;
        }
      };
      const uploads = clips.map(async (bytes, i) => {
        const id = ids[i]!;
        await alice.metadata(id, { kind: 'manual', time: new Date(Date.UTC(2025, 5, 1, 0, 0, i)).toISOString() });
        let last;
        for (let at = 0; at < bytes.length; at += chunk)
          last = await alice.upload(id, bytes.subarray(at, Math.min(bytes.length, at + chunk)), {
            start: at,
            total: bytes.length,
          });
        expect(last!.status).toBe(201);
      });
      const readLoops = [reader(readers[0]!, clip6), reader(readers[1]!, clip3), reader(readers[0]!, clip6)];
      await Promise.all(uploads);
      stop = true;
      await Promise.all(readLoops);
      expect(reads).toBeGreaterThan(6);
      for (const [i, id] of ids.entries()) {
        const c = (await alice.json(`/v1/clips/${id}`)).body;
        expect(c.state).toBe('ready');
        expect(c.sha256).toBe(sha(clips[i]!));
        expect(await blobsOf('alice', id)).toEqual([expect.stringMatching(/^clips\//)]);
      }
    });
  });
}
