/**
 * Video goes from the stored file to the socket by sendfile (issue 17 item 1): the bytes are
 * exactly the engine's, by range and whole; a client that stops reading fills its socket and
 * still gets every byte once, in order, response after response on one connection.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mp4Source } from '../../../lib/index.js';
import { sendStats } from '../src/http-range.js';
import type { Server } from '../src/server.js';
import { Api, makeClip, sqliteBackend, tempDir, until, type Backend } from './helpers.js';

/** The per-track MP4 the cloud serves, made here by the engine's own read path (no socket). */
async function perTrackBytes(path: string, stream: string): Promise<Buffer> {
  const src = await Mp4Source.open(path);
  const clip = src.clip({ from: { offset: 0 }, to: { offset: 7 * 86400 }, streams: [stream], allowPartial: true });
  const file = clip.toVirtualMP4();
  const bytes = file.read(0);
  file.release();
  clip.release();
  src.close();
  return bytes;
}

/**
 * Splits what one connection received into its responses' status and bodies (Content-Length
 * framed); the last one may still be arriving (shorter than its length).
 */
function responses(raw: Buffer): Array<{ status: number; headers: string; body: Buffer }> {
  const out: Array<{ status: number; headers: string; body: Buffer }> = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break; // headers still arriving
    const headers = raw.subarray(at, end).toString('latin1');
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(headers)?.[1]);
    const status = Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]);
    out.push({ status, headers, body: raw.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return out;
}

describe('video by sendfile', () => {
  const tmp = tempDir();
  let backend: Backend;
  let server: Server;
  let api: Api;
  let token = '';
  const id = '6a1c2b3d-0000-4000-8000-00000000005e';
  let road = Buffer.alloc(0);
  let stored = Buffer.alloc(0);

  beforeAll(async () => {
    backend = sqliteBackend();
    server = await backend.start();
    token = (await server.service.createToken('alice')).token;
    api = new Api(server.url, token);
    const { bytes } = await makeClip(tmp.dir, 8);
    stored = bytes;
    expect((await api.upload(id, bytes)).status).toBeLessThan(300);
    const clip = await until(async () => {
      const r = await api.json(`/v1/clips/${id}`);
      return r.body?.state === 'ready' ? r : null;
    });
    const name = (clip.body.tracks as Array<{ role: string; name: string }>).find((t) => t.role === 'road')!.name;
    const path = join(tmp.dir, 'uploaded.mp4');
    writeFileSync(path, bytes);
    road = await perTrackBytes(path, name);
  });
  afterAll(async () => {
    await server.close();
    await backend.cleanup();
    tmp.cleanup();
  });

  it('serves the engine’s bytes whole and by range, sent by sendfile, not written through Node', async () => {
    const before = { ...sendStats };
    const whole = await api.fetch(`/v1/clips/${id}/video?track=road`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(road)).toBe(true);
    const both = await api.fetch(`/v1/clips/${id}/video?track=both`);
    expect(Buffer.from(await both.arrayBuffer()).equals(stored)).toBe(true);
    let asked = road.length + stored.length;
    for (const [s, e] of [
      [0, 0],
      [0, 99],
      [5, 200_000],
      [131_000, 131_100], // across a turn's boundary (128 KiB)
      [road.length - 1000, road.length - 1],
    ]) {
      const r = await api.fetch(`/v1/clips/${id}/video?track=road`, { headers: { range: `bytes=${s}-${e}` } });
      expect(r.status, `${s}-${e}`).toBe(206);
      expect(Buffer.from(await r.arrayBuffer()).equals(road.subarray(s, e + 1)), `${s}-${e}`).toBe(true);
      asked += e - s + 1;
    }
    // A client that reads as fast as loopback lets it: (nearly) every byte went by sendfile;
    // only what met a socket full for a moment went through Node, and nothing twice.
    const sent = sendStats.sentZeroCopy - before.sentZeroCopy;
    expect(sent + sendStats.written - before.written).toBe(asked);
    expect(sent).toBeGreaterThan(asked / 2);
  });

  it('a client that stops reading fills its socket, then gets every byte once, in order, on one connection', async () => {
    const before = { ...sendStats };
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.pause(); // the server's socket fills: its sends stop part way
    const requests = 6;
    const ranges = ['', 'bytes=1000-2999999', '', 'bytes=0-', '', 'bytes=77-77'];
    for (let i = 0; i < requests; i++) {
      const range = ranges[i] ? `Range: ${ranges[i]}\r\n` : '';
      socket.write(
        `GET /v1/clips/${id}/video?track=road HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${range}\r\n`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.resume();
    const got = await until(async () => {
      const r = responses(Buffer.concat(chunks));
      return r.length === requests && r.at(-1)!.body.length === 1 ? r : null;
    });
    socket.destroy();
    for (let i = 0; i < requests; i++) {
      const range = /^bytes=(\d+)-(\d*)$/.exec(ranges[i]!);
      const want = range ? road.subarray(Number(range[1]), range[2] ? Number(range[2]) + 1 : road.length) : road;
      expect(got[i]!.status, `response ${i}`).toBe(range ? 206 : 200);
      expect(got[i]!.body.equals(want), `response ${i}`).toBe(true);
    }
    // Most went by sendfile; what met a full socket went through Node, and nothing twice.
    const sent = sendStats.sentZeroCopy - before.sentZeroCopy;
    const written = sendStats.written - before.written;
    expect(written).toBeGreaterThan(0);
    expect(sent).toBeGreaterThan(0);
    expect(sent + written).toBe(got.reduce((n, r) => n + r.body.length, 0));
  });
});
