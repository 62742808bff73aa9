// Both servers that serve video by range, the device's Wi-Fi API and the cloud, give the same
// answer to the same edge cases (they share the engine's rangeResponse()). Before, the device
// answered `bytes=5-2` with 416 and the cloud with 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dashcam, loadScenario } from '../packages/device/src/index.js';
import { scratch, smallDevice, T0 } from '../packages/device/test/helpers.js';
import { Api, makeClip, sqliteBackend, until, type Backend } from '../packages/cloud/test/helpers.js';
import type { Server } from '../packages/cloud/src/server.js';

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}
const targets: Target[] = [];
const tmp = scratch('ringclip-ranges-');
let cam: Dashcam;
let backend: Backend;
let cloud: Server;

beforeAll(async () => {
  cam = new Dashcam(smallDevice(tmp.dir));
  await cam.powerOn();
  await cam.run(loadScenario('hard-brake-collision'), { speed: Infinity, duration: 8 });
  const device = (await cam.startServer({ port: 0 })).url;
  const pair = await fetch(`${device}/pair`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: cam.pairingCode }),
  });
  const { token: deviceToken } = (await pair.json()) as { token: string };
  const iso = (us: number) => new Date(us / 1000).toISOString();
  targets.push({
    name: 'device',
    url: `${device}/footage?stream=road&from=${iso(T0)}&to=${iso(T0 + 5e6)}`,
    headers: { authorization: `Bearer ${deviceToken}` },
  });

  backend = sqliteBackend();
  cloud = await backend.start();
  const { token } = await cloud.service.createToken('alice');
  const api = new Api(cloud.url, token);
  const { bytes } = await makeClip(tmp.dir, 3);
  const id = '6a1c2b3d-0000-4000-8000-0000000000aa';
  expect((await api.upload(id, bytes)).status).toBeLessThan(300);
  await until(async () => (await api.json(`/v1/clips/${id}`)).body?.state === 'ready');
  for (const track of ['road', 'both']) {
    targets.push({
      name: `cloud ${track}`,
      url: `${cloud.url}/v1/clips/${id}/video?track=${track}`,
      headers: { authorization: `Bearer ${token}` },
    });
  }
});
afterAll(async () => {
  await cloud?.close();
  await backend?.cleanup();
  await cam?.powerOff();
  tmp.cleanup();
});

async function get(t: Target, headers: Record<string, string> = {}, method = 'GET') {
  const r = await fetch(t.url, { method, headers: { ...t.headers, ...headers } });
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body };
}

describe('byte ranges and conditional requests, the same on the device and the cloud', () => {
  it('answers each edge case alike', async () => {
    for (const t of targets) {
      const whole = await get(t);
      expect(whole.status, t.name).toBe(200);
      const size = whole.body.length;
      const etag = whole.headers.get('etag')!;
      const lastModified = whole.headers.get('last-modified');
      expect(etag, t.name).toMatch(/^"[^"]+"$/);
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      const range = async (r: string, extra: Record<string, string> = {}) => get(t, { range: r, ...extra });

      const first = await range('bytes=0-99');
      expect([first.status, first.headers.get('content-range')], t.name).toEqual([206, `bytes 0-99/${size}`]);
      expect(first.body.equals(whole.body.subarray(0, 100))).toBe(true);
      const tail = await range('bytes=-10');
      expect([tail.status, tail.headers.get('content-range')], t.name).toEqual([
        206,
        `bytes ${size - 10}-${size - 1}/${size}`,
      ]);
      expect(tail.body.equals(whole.body.subarray(-10))).toBe(true);
      const clamped = await range(`bytes=${size - 5}-${size + 1000}`);
      expect([clamped.status, clamped.body.length], t.name).toEqual([206, 5]);

      // not one valid bytes range: ignored, the whole file
      for (const r of ['bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes=x-']) {
        const g = await range(r);
        expect([r, g.status, g.body.length], t.name).toEqual([r, 200, size]);
      }
      // valid but unsatisfiable: 416 with the size
      for (const r of [`bytes=${size}-`, 'bytes=-0']) {
        const g = await range(r);
        expect([r, g.status, g.headers.get('content-range')], t.name).toEqual([r, 416, `bytes */${size}`]);
      }
      // If-Range: this version → the range; another → the whole file
      expect((await range('bytes=0-9', { 'if-range': etag })).status, t.name).toBe(206);
      expect((await range('bytes=0-9', { 'if-range': '"other"' })).status, t.name).toBe(200);
      // If-None-Match (weak comparison, *) → 304 with no body, even with a Range
      for (const inm of [etag, `W/${etag}`, '*']) {
        const g = await range('bytes=0-9', { 'if-none-match': inm });
        expect([inm, g.status, g.body.length, g.headers.get('etag')], t.name).toEqual([inm, 304, 0, etag]);
      }
      expect((await get(t, { 'if-none-match': '"other"' })).status).toBe(200);
      if (lastModified) expect((await get(t, { 'if-modified-since': lastModified })).status, t.name).toBe(304);
      // HEAD: the GET's headers, no body
      const head = await get(t, { range: 'bytes=0-9' }, 'HEAD');
      expect([head.status, head.headers.get('content-length'), head.body.length], t.name).toEqual([206, '10', 0]);
    }
    expect(targets.map((t) => t.name)).toEqual(['device', 'cloud road', 'cloud both']);
  });
});
