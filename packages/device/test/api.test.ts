/**
 * The Wi-Fi API over real HTTP on 127.0.0.1: pairing and tokens, status, drives, events,
 * footage as a virtual MP4 with ranges and ETags, event clips, acknowledgements, live.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashcam, loadScenario, WifiApi } from '../src/index.js';
import { decodeErrors, ffprobe, scratch, smallDevice, T0 } from './helpers.js';

const tmp = scratch();
let cam: Dashcam;
let base: string;
let token: string;
const iso = (us: number) => new Date(us / 1000).toISOString();

beforeAll(async () => {
  cam = new Dashcam(smallDevice(tmp.dir));
  await cam.powerOn();
  await cam.run(loadScenario('hard-brake-collision'), { speed: Infinity, duration: 50 });
  base = (await cam.startServer({ port: 0 })).url;
});
afterAll(async () => {
  await cam.powerOff();
  tmp.cleanup();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

describe('Wi-Fi API', () => {
  it('binds to 127.0.0.1 only', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(() => new WifiApi(cam, { host: '0.0.0.0' as '127.0.0.1' })).toThrow(/loopback/);
  });

  it('refuses every request without the token (401), and a wrong pairing code (403)', async () => {
    for (const path of [
      '/status',
      '/settings',
      '/drives',
      '/events',
      '/live?stream=road',
      `/footage?stream=road&from=${iso(T0)}&to=${iso(T0 + 2e6)}`,
      '/events/ev-000001/clip',
    ]) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await r.json()).error).toBe('unauthorized');
      const bad = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect(bad.status).toBe(401);
      await bad.body?.cancel();
    }
    expect((await fetch(`${base}/events/ev-000001/ack`, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(`${base}/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: '000000' }),
    });
    expect(wrong.status).toBe(403);
  });

  it('pairs with the code the device shows', async () => {
    expect(cam.pairingCode).toBe('424242');
    const r = await fetch(`${base}/pair`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: cam.pairingCode, name: 'test phone' }),
    });
    expect(r.status).toBe(201);
    token = (await r.json()).token;
    expect(token).toMatch(/^[\w-]{40,}$/);
  });

  it('GET /status, /drives, /events', async () => {
    const status = await (await get('/status')).json();
    expect(status).toMatchObject({
      powered: true,
      drive: 1,
      oldestFootage: iso(T0),
      storage: { capacity: 32 * 2 ** 20 },
      events: { total: 2, unacknowledged: 2 },
    });
    expect(status.storage.protected).toBeGreaterThan(0);
    const drives = await (await get('/drives')).json();
    expect(drives.drives).toEqual([
      expect.objectContaining({
        id: 1,
        from: iso(T0),
        current: true,
        streams: ['road', 'cabin', 'cabin-audio', 'telemetry'],
      }),
    ]);
    const { events } = await (await get('/events')).json();
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['hard-brake', 'collision']);
    const t = Date.parse(events[1].time) * 1000;
    expect(Math.abs(t - (T0 + 40e6))).toBeLessThan(0.5e6);
    expect(events[1]).toMatchObject({
      id: 'ev-000002',
      acknowledged: false,
      protected: true,
      complete: true,
      window: { from: iso(t - 3e6), to: iso(t + 3e6) },
    });
    expect(events[1].trace.samples.length).toBeGreaterThan(500);
    expect((await get('/events/nope')).status).toBe(404);
  });

  it('GET and PATCH /settings: all or nothing, a clear 400, used by the next event', async () => {
    const patch = (body: unknown) =>
      fetch(`${base}/settings`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(await (await get('/settings')).json()).toEqual({
      eventBeforeSeconds: 3,
      eventAfterSeconds: 3,
      cabinAudio: true,
      gpsHz: 10,
    });
    const bad = await patch({ eventBeforeSeconds: 30, gpsHz: 0 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad_request',
      message: 'gpsHz is an integer from 1 to 10 (fixes per second), got 0',
    });
    expect((await patch([1])).status).toBe(400);
    expect((await get('/settings')).status).toBe(200);
    expect(cam.settings.eventBeforeSeconds).toBe(3);
    const ok = await patch({ eventBeforeSeconds: 4, eventAfterSeconds: 2 });
    expect(await ok.json()).toEqual({ eventBeforeSeconds: 4, eventAfterSeconds: 2, cabinAudio: true, gpsHz: 10 });
    expect((await fetch(`${base}/settings`)).status).toBe(401);
    expect(cam.settings).toMatchObject({ eventBeforeSeconds: 4, eventAfterSeconds: 2 });
    await patch({ eventBeforeSeconds: 3, eventAfterSeconds: 3 });
  });

  it('GET /footage: a dual MP4 whose ranges concatenate to the whole file; ETag and If-None-Match', async () => {
    const url = `/footage?streams=road,cabin&from=${iso(T0 + 20e6)}&to=${iso(T0 + 26e6)}`;
    const whole = await get(url);
    expect(whole.status).toBe(200);
    const size = Number(whole.headers.get('content-length'));
    const etag = whole.headers.get('etag')!;
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const body = Buffer.from(await whole.arrayBuffer());
    expect(body.length).toBe(size);
    writeFileSync(`${tmp.dir}/footage.mp4`, body);
    expect(decodeErrors(`${tmp.dir}/footage.mp4`)).toBe('');
    expect(ffprobe(`${tmp.dir}/footage.mp4`).streams.map((s) => s.tags?.handler_name)).toEqual(['road', 'cabin']);
    // Ranges of odd sizes, fetched in order, concatenate to the same bytes.
    const parts: Buffer[] = [];
    for (let at = 0; at < size; at += 99_991) {
      const r = await get(url, { range: `bytes=${at}-${Math.min(size, at + 99_991) - 1}` });
      expect(r.status).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${at}-${Math.min(size, at + 99_991) - 1}/${size}`);
      expect(r.headers.get('etag')).toBe(etag);
      parts.push(Buffer.from(await r.arrayBuffer()));
    }
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    const suffix = await get(url, { range: 'bytes=-100' });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(body.subarray(size - 100))).toBe(true);
    expect((await get(url, { 'if-none-match': etag })).status).toBe(304);
    const head = await fetch(`${base}${url}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect([head.status, head.headers.get('content-length'), head.headers.get('etag')]).toEqual([
      200,
      String(size),
      etag,
    ]);
    // a token in the query works for media elements that cannot set headers
    const viaQuery = await fetch(`${base}${url}&access_token=${token}`, { headers: { range: 'bytes=0-7' } });
    expect(viaQuery.status).toBe(206);
    expect(Buffer.from(await viaQuery.arrayBuffer()).equals(body.subarray(0, 8))).toBe(true);
    const unsat = await get(url, { range: `bytes=${size}-` });
    expect([unsat.status, unsat.headers.get('content-range')]).toEqual([416, `bytes */${size}`]);
    // One camera alone: the cabin view
    const cabin = await get(`/footage?stream=cabin&from=${iso(T0 + 20e6)}&to=${iso(T0 + 22e6)}`);
    writeFileSync(`${tmp.dir}/cabin.mp4`, Buffer.from(await cabin.arrayBuffer()));
    expect(ffprobe(`${tmp.dir}/cabin.mp4`).streams.map((s) => [s.width, s.height])).toEqual([[160, 96]]);
    // Errors say what was wrong
    expect((await get('/footage?stream=road&from=yesterday&to=now')).status).toBe(400);
    expect((await get(`/footage?stream=rear&from=${iso(T0)}&to=${iso(T0 + 1e6)}`)).status).toBe(400);
    expect((await get(`/footage?stream=road&from=${iso(T0 - 100e6)}&to=${iso(T0 - 90e6)}`)).status).toBe(404);
  });

  it('GET /events/:id/clip, then POST /events/:id/ack releases the footage', async () => {
    const r = await get('/events/ev-000002/clip');
    expect(r.status).toBe(200);
    writeFileSync(`${tmp.dir}/ev2.mp4`, Buffer.from(await r.arrayBuffer()));
    expect(decodeErrors(`${tmp.dir}/ev2.mp4`)).toBe('');
    expect(ffprobe(`${tmp.dir}/ev2.mp4`).streams.map((s) => s.tags?.handler_name)).toEqual([
      'road',
      'cabin',
      'cabin-audio',
      'telemetry',
    ]);
    const protections = cam.store.protections().length;
    const ack = await fetch(`${base}/events/ev-000002/ack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ id: 'ev-000002', acknowledged: true, protected: false });
    expect(cam.store.protections()).toHaveLength(protections - 1);
    const unacked = await (await get('/events?unacknowledged=true&trace=false')).json();
    expect(unacked.events.map((e: { id: string }) => e.id)).toEqual(['ev-000001']);
  });

  it('an event whose window is still being recorded answers 409 with Retry-After', async () => {
    await cam.run(
      { name: 'bump', duration: 1, steps: [{ at: 0.5, type: 'collision', peak: 3, to: 0 }] },
      { speed: Infinity },
    );
    const e = cam.events.at(-1)!;
    expect([e.kind, e.complete]).toEqual(['collision', false]);
    const early = await get(`/events/${e.id}/clip`);
    expect([early.status, early.headers.get('retry-after')]).toEqual([409, '3']);
    expect((await early.json()).error).toBe('recording');
    await cam.run({ name: 'parked', duration: 3, steps: [] }, { speed: Infinity });
    const r = await get(`/events/${e.id}/clip`);
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(10_000);
    await r.body?.cancel();
    // the manual clip button: the last N seconds, complete at once
    const m = cam.manualClip(2);
    expect(m.complete).toBe(true);
    expect((await get(`/events/${m.id}`)).status).toBe(200);
    // the app can ask for one too: the last N seconds, or a past range (say, to keep a cabin view it wants)
    const post = (body: object) =>
      fetch(`${base}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const last = await post({ seconds: 5 });
    expect(last.status).toBe(201);
    expect(await last.json()).toMatchObject({ kind: 'manual', complete: true, protected: true });
    const range = await (await post({ from: iso(T0 + 20e6), to: iso(T0 + 25e6) })).json();
    expect(range).toMatchObject({
      kind: 'manual',
      window: { from: iso(T0 + 20e6), to: iso(T0 + 25e6) },
      protected: true,
    });
    expect((await post({ seconds: -1 })).status).toBe(400);
    expect((await post({ from: 'x', to: 'y' })).status).toBe(400);
  });

  it('GET /live streams fragmented MP4 from now on while the device records', async () => {
    // (the response starts with the init segment, at the camera's next key frame)
    cam.park(4);
    const r = await get('/live?stream=road', {});
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    const chunks: Buffer[] = [];
    const reader = r.body!.getReader();
    let bytes = 0;
    while (bytes < 200_000) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      bytes += value.length;
    }
    await reader.cancel();
    await cam.stopRecording();
    const data = Buffer.concat(chunks);
    expect(data.subarray(4, 8).toString()).toBe('ftyp');
    writeFileSync(`${tmp.dir}/live.mp4`, data);
    // the stream was cut mid-fragment: ffmpeg may complain about the truncated tail only
    expect(ffprobe(`${tmp.dir}/live.mp4`).streams.map((s) => [s.width, s.height])).toEqual([[320, 180]]);
  });
});

describe('live with sound and telemetry', () => {
  it('GET /live?streams=road,cabin-audio,telemetry: the picture, the cabin audio and the camm track in one stream', async () => {
    const drive = cam.run({ name: 'live', duration: 60, steps: [{ at: 0, type: 'speed', to: 40 }] }, { speed: 4 });
    const r = await get('/live?streams=road,cabin-audio,telemetry');
    expect(r.status).toBe(200);
    const chunks: Buffer[] = [];
    const reader = r.body!.getReader();
    let bytes = 0;
    while (bytes < 400_000) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      bytes += value.length;
    }
    await reader.cancel();
    await cam.stopRecording();
    await drive;
    writeFileSync(`${tmp.dir}/live-av.mp4`, Buffer.concat(chunks));
    const probe = ffprobe(`${tmp.dir}/live-av.mp4`);
    expect(probe.streams.map((s) => [s.codec_type, s.codec_tag_string])).toEqual([
      ['video', 'avc1'],
      ['audio', 'mp4a'],
      ['data', 'camm'],
    ]);
  });
});
