/**
 * The emergency live relay over HTTP, without a dashcam: a ringclip fragmented MP4 is
 * published to a link and a viewer (reading it back with the engine) gets every frame with
 * its capture time; the API refuses what it must (no token, 11 contacts, unknown cameras,
 * another user's link, a second publisher); the contacts are notified through a pluggable
 * notifier, and a failed webhook is recorded; revoking ends the link (410).
 */
import { readFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Mp4Source, SegmentStore } from 'ringclip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createServer, type Server } from '../src/server.js';
import { LogNotifier, Notifiers, WebhookNotifier } from '../src/service/notifier.js';
import { T0, makeClip, tempDir } from './helpers.js';

const tmp = tempDir('ringclip-live-');

describe('live links', () => {
  let server: Server;
  let url: string;
  let token: string;
  let other: string;
  let fmp4: Buffer;
  let frames: number;
  const logLines: string[] = [];

  beforeAll(async () => {
    const notifier = new Notifiers([new LogNotifier((l) => logLines.push(l)), new WebhookNotifier(2000)]);
    server = await createServer(loadConfig({ dataDir: join(tmp.dir, 'cloud'), port: 0, host: '127.0.0.1' }, {}), {
      notifier,
      // Quick to drop a stuck viewer (the default waits 10 s), yet patient with a busy test machine.
      options: { slowViewerMs: 2000, maxViewers: 3 },
    });
    url = await server.listen();
    token = (await server.service.createToken('dana')).token;
    other = (await server.service.createToken('eve')).token;
    // What a publisher sends: a fragmented MP4 with capture times, made by the engine.
    const clip = await makeClip(tmp.dir, 20); // ~10 MB of road: more than a loopback socket holds
    const src = await Mp4Source.open(clip.path);
    frames = src.tracks.find((t) => t.name === 'road')!.samples;
    const c = src.clip({ from: src.start, to: src.start + 30e6, streams: ['road'], allowPartial: true }); // all of it
    await c.writeMP4(join(tmp.dir, 'live.mp4'), { fragmented: true });
    fmp4 = readFileSync(join(tmp.dir, 'live.mp4'));
    c.release();
    src.close();
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  const api = (path: string, init: RequestInit & { as?: string } = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${init.as ?? token}`,
        ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string>),
      },
    });

  it('refuses what it must', async () => {
    expect(
      (await fetch(`${url}/v1/live`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(401);
    const contacts = Array.from({ length: 11 }, (_, i) => ({ name: `c${i}` }));
    expect((await api('/v1/live', { method: 'POST', body: JSON.stringify({ contacts }) })).status).toBe(400);
    expect(
      (
        await api('/v1/live', {
          method: 'POST',
          body: JSON.stringify({ contacts: [{ name: 'x', webhook: 'file:///etc/passwd' }] }),
        })
      ).status,
    ).toBe(400);
    expect((await api('/v1/live', { method: 'POST', body: JSON.stringify({ streams: ['rear'] }) })).status).toBe(400);
    expect((await api('/v1/live', { method: 'POST', body: JSON.stringify({ expiresIn: 0 }) })).status).toBe(400);
    const link = (await (await api('/v1/live', { method: 'POST', body: '{}' })).json()) as { id: string; url: string };
    // another user's link is one that does not exist
    expect((await api(`/v1/live/${link.id}`, { as: other })).status).toBe(404);
    expect((await api(`/v1/live/${link.id}`, { method: 'DELETE', as: other })).status).toBe(404);
    expect(
      (
        await api(`/v1/live/${link.id}/stream`, {
          method: 'PUT',
          as: other,
          body: fmp4,
          headers: { 'content-type': 'video/mp4' },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api(`/v1/live/${link.id}/stream`, {
          method: 'PUT',
          body: Buffer.from('not video'),
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect((await fetch(`${url}/l/${'A'.repeat(43)}`)).status).toBe(404);
    expect((await fetch(`${link.url}/stream?stream=cabin`)).status).toBe(404); // not shared
    // bytes that are not a fragmented MP4: refused, and the link takes a publisher again
    const junk = await api(`/v1/live/${link.id}/stream`, {
      method: 'PUT',
      body: Buffer.alloc(4096, 7),
      headers: { 'content-type': 'video/mp4' },
    });
    expect(junk.status).toBe(422);
    // viewers per link are bounded
    const viewers = await Promise.all(
      [1, 2, 3].map(
        () => new Promise<IncomingMessage>((resolve) => httpGet(`${link.url}/stream?stream=road`, resolve)),
      ),
    );
    expect(viewers.map((v) => v.statusCode)).toEqual([200, 200, 200]);
    expect((await fetch(`${link.url}/stream?stream=road`)).status).toBe(503);
    for (const v of viewers) v.destroy();
  });

  it('relays a published fMP4 to a viewer with its capture times, notifies the contacts, and ends when revoked', async () => {
    const res = await api('/v1/live', {
      method: 'POST',
      body: JSON.stringify({
        contacts: [
          { name: 'Sam', phone: '+1 555 0100' },
          { name: 'Kim', webhook: 'http://127.0.0.1:9/nothing-listens' },
        ],
        event: { kind: 'collision', time: '2026-03-02T08:00:02Z' },
      }),
    });
    expect(res.status).toBe(201);
    const link = (await res.json()) as { id: string; url: string; contacts: number; state: string };
    expect(link).toMatchObject({ contacts: 2, state: 'waiting' });
    expect((await (await fetch(`${link.url}/info`)).json()) as unknown).toMatchObject({
      state: 'waiting',
      streams: ['road'],
      event: { kind: 'collision' },
    });

    // The viewer joins before the publisher: it waits, then gets the stream from the start.
    const view = await fetch(`${link.url}/stream?stream=road`);
    // ... and one that never reads: dropped once its socket stays full, not buffered.
    const stuck = await new Promise<IncomingMessage>((resolve) => httpGet(`${link.url}/stream?stream=road`, resolve));
    stuck.pause();
    expect(view.headers.get('content-type')).toBe('video/mp4');
    const store = await SegmentStore.create(join(tmp.dir, 'viewer.ring'), {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road'],
    });
    const ingest = store.createFragmentedIngest();
    const reading = (async () => {
      for await (const chunk of view.body as unknown as AsyncIterable<Uint8Array>) ingest.push(chunk);
    })().then(
      () => 'ended',
      (err: Error) => err.message,
    );

    // A publisher holding the link open, and a second one refused meanwhile.
    let hold!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        hold = c;
      },
    });
    // (cut off mid-body when the link is revoked: either an answer or a closed socket ends it)
    const publishing = api(`/v1/live/${link.id}/stream`, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'video/mp4' },
      duplex: 'half',
    } as RequestInit).then(
      (r) => r.status,
      (err: Error) => err.message,
    );
    hold.enqueue(new Uint8Array(fmp4));
    await expect.poll(() => ingest.stats.tracks[0]?.stored ?? 0, { timeout: 10_000 }).toBe(frames);
    expect(
      (await api(`/v1/live/${link.id}/stream`, { method: 'PUT', body: fmp4, headers: { 'content-type': 'video/mp4' } }))
        .status,
    ).toBe(409);
    expect(ingest.stats.exactTime).toBe(true);
    expect(ingest.stats.tracks[0]!.first).toBe(T0); // the capture time crossed both hops to the µs
    expect(((await (await api(`/v1/live/${link.id}`)).json()) as { state: string; viewers: number }).state).toBe(
      'live',
    );
    await expect
      .poll(() => server.live.problems.filter((p) => p.includes('dropped a viewer')).length, { timeout: 10_000 })
      .toBe(1);
    stuck.destroy();

    // Notified: the log line for each contact; Kim's webhook failed and says so.
    const me = await server.service.authenticate(`Bearer ${token}`);
    await expect.poll(() => server.live.get(me, link.id).notified.length, { timeout: 10_000 }).toBe(3);
    expect(
      logLines
        .filter((l) => l.includes(link.url))
        .map((l) => /for (\w+)/.exec(l)![1])
        .sort(),
    ).toEqual(['Kim', 'Sam']);
    expect(server.live.get(me, link.id).notified).toContainEqual(
      expect.objectContaining({ contact: 'Kim', via: 'webhook', ok: false }),
    );
    expect(server.live.problems.some((p) => p.includes('notifying Kim by webhook'))).toBe(true);

    // Revoked: the viewer's stream ends, the publisher is cut off, the link answers 410.
    expect((await api(`/v1/live/${link.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await reading).toBe('ended'); // a clean end of stream, not a cut connection
    await publishing;
    const page = await fetch(link.url);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This link no longer works');
    expect((await fetch(`${link.url}/stream?stream=road`)).status).toBe(410);
    expect(((await (await api(`/v1/live/${link.id}`)).json()) as { state: string }).state).toBe('revoked');
    await store.close();
  });
});
