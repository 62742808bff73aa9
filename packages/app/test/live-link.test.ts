/**
 * The emergency live link end to end, in real time: a collision on the dashcam, the phone
 * publishes a live link through the cloud, the contacts' webhook gets it, Chromium plays it
 * (Media Source Extensions) and measures the latency — capture time (from the prft box of
 * each fragment) against the wall clock when the frame is shown — which is printed. A late
 * viewer starts at the newest key frame; revoking ends every viewer and the link answers 410;
 * an expired link too. (A viewer that stops reading is dropped: packages/cloud/test/live.test.ts.)
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, requireBrowser } from '../../../test/helpers/browser.js';
import { loadConfig } from '../../cloud/src/config.js';
import { createServer, type Server } from '../../cloud/src/server.js';
import type { Dashcam, Scenario } from '../../device/src/index.js';
import type { LiveLink, PhoneApp } from '../src/index.js';
import { CODE, openApp, scratch, startDevice, until } from './helpers.js';

const tmp = scratch('ringclip-live-');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** A real-time drive: 50 km/h, a collision at 2 s, then driving on (the camera keeps recording). */
const crash: Scenario = {
  name: 'live-crash',
  duration: '120s',
  steps: [
    { at: '0s', type: 'speed', to: 50, accel: 0.3 },
    { at: '2s', type: 'collision', peak: 4.5, direction: 'front', to: 0 },
  ],
} as unknown as Scenario;

describe.skipIf(!haveChromium && !requireBrowser)('emergency live link', () => {
  let cloud: Server;
  let cloudUrl: string;
  let device: Dashcam;
  let app: PhoneApp;
  let drive: Promise<unknown>;
  /** the link the phone publishes after the collision (listened for before the drive starts) */
  let published: Promise<LiveLink>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const notices: Array<{ url: string; contact: string; event: { kind: string } | null }> = [];
  const hook = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      notices.push(JSON.parse(body) as (typeof notices)[number]);
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/notify`;
    cloud = await createServer(loadConfig({ dataDir: join(tmp.dir, 'cloud'), port: 0, host: '127.0.0.1' }, {}));
    cloudUrl = await cloud.listen();
    const { token } = await cloud.service.createToken('dana');
    // Device time = wall clock (speed 1 from now): capture times compare with Date.now().
    ({ device } = await startDevice(tmp.dir, {
      startTime: Date.now() * 1000,
      memory: { capacity: '64MiB', segmentSize: '1MiB', protectCap: 0.5 },
    }));
    const { url: deviceUrl } = await device.startServer();
    app = await openApp(tmp.dir, { liveStreams: ['road'] });
    app.on('error', (e) => console.warn(`app: ${e.message}`));
    app.setEmergency({
      contacts: [
        { name: 'Sam', webhook: hookUrl },
        { name: 'Alex', phone: '+49 30 1234567' },
      ],
    });
    await app.signIn(cloudUrl, token);
    await app.connect(deviceUrl, CODE);
    published = new Promise<LiveLink>((resolve) => app.once('live-link', resolve));
    drive = device.run(crash, { speed: 1 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await device?.powerOff().catch((e: unknown) => console.warn(`power off: ${String(e)}`));
    await drive?.catch((e: unknown) => console.warn(`drive: ${String(e)}`));
    await cloud?.close();
    hook.close();
    tmp.cleanup();
  });

  it('after a collision plays live in Chromium with a few seconds of latency, late viewers start at the newest key frame, revoking ends it', async () => {
    const link = await published;
    expect(link.streams).toEqual(['road']); // cabin only when the driver allows it
    expect(link.contacts).toBe(2);
    // "sent" to the contacts: Sam's webhook got the link (Alex: the log line)
    await until(() => notices.length > 0, 10_000, 'the webhook notice');
    expect(notices[0]).toMatchObject({ contact: 'Sam', url: link.url, event: { kind: 'collision' } });

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(link.url);
    type Live = {
      ready: boolean;
      ended: number | null;
      latency: Record<string, number>;
      samples: Record<string, number[]>;
      first: Record<string, number>;
      errors: string[];
    };
    const state = () => page.evaluate(() => (window as unknown as { ringclipLive: Live }).ringclipLive);
    // ~8 s of playback: latency of every frame shown
    await page.waitForFunction(
      () => ((window as unknown as { ringclipLive: Live }).ringclipLive.samples.road?.length ?? 0) > 120,
      undefined,
      { timeout: 60_000 },
    );
    const video = await page.evaluate(() => {
      const v = document.querySelector('video')!;
      return { w: v.videoWidth, h: v.videoHeight, t: v.currentTime, paused: v.paused };
    });
    expect(video).toMatchObject({ w: 320, h: 180, paused: false });
    const t1 = video.t;
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => document.querySelector('video')!.currentTime)).toBeGreaterThan(t1); // it plays on
    const samples = (await state()).samples.road!.slice(30); // after the start-up
    console.log(
      `live link latency in Chromium (capture time → frame shown, road 320x180@30, GOP 1 s, ${samples.length} frames): median ${(median(samples) / 1000).toFixed(2)} s, p95 ${(pct(samples, 0.95) / 1000).toFixed(2)} s, max ${(Math.max(...samples) / 1000).toFixed(2)} s`,
    );
    expect(median(samples)).toBeGreaterThan(0); // shown after it was captured: the clocks are one clock

    // A late viewer gets the init segment and starts at the newest key frame, not at the link's start.
    const played = await page.evaluate(() => document.querySelector('video')!.currentTime);
    const late = await browser.newPage();
    await late.goto(link.url);
    await late.waitForFunction(
      () => ((window as unknown as { ringclipLive: Live }).ringclipLive.samples.road?.length ?? 0) > 5,
      undefined,
      { timeout: 30_000 },
    );
    const [early, lateState] = [
      await state(),
      await late.evaluate(() => (window as unknown as { ringclipLive: Live }).ringclipLive),
    ];
    // In capture time: the late stream begins about where the first viewer had got to (a GOP of slack), not where it began.
    expect(lateState.first.road! - early.first.road!).toBeGreaterThan((played - 2) * 1000);
    console.log(
      `late viewer: joined after ${played.toFixed(1)} s of playback, its stream began ${((lateState.first.road! - early.first.road!) / 1000).toFixed(1)} s later in capture time; first frame shown ${(lateState.samples.road![0]! / 1000).toFixed(2)} s after capture`,
    );
    expect(lateState.errors).toEqual([]);

    // Revoked: every viewer ends, and the link answers 410.
    await app.revokeLiveLink(link.id);
    await page.waitForFunction(
      () => (window as unknown as { ringclipLive: Live }).ringclipLive.ended === 410,
      undefined,
      { timeout: 15_000 },
    );
    expect((await fetch(link.url)).status).toBe(410);
    expect((await fetch(`${link.url}/stream?stream=road`)).status).toBe(410);
    expect(app.liveLinks).toEqual([]);
    expect([...errors, ...(await state()).errors]).toEqual([]);
  });

  it('with the cabin shared, both cameras play; an expired link stops working', async () => {
    app.setEmergency({ expiresIn: 8, contacts: [], shareCabin: true });
    const ended = new Promise<{ id: string }>((resolve) => app.once('live-link-ended', resolve));
    const link = await app.startLiveLink();
    expect(link.streams).toEqual(['road', 'cabin']);
    const page = await browser.newPage();
    await page.goto(link.url);
    type Live = { ended: number | null; samples: Record<string, number[]> };
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { ringclipLive: Live }).ringclipLive.samples;
        return (s.road?.length ?? 0) > 0 && (s.cabin?.length ?? 0) > 0;
      },
      undefined,
      { timeout: 8_000 },
    );
    const sizes = await page.evaluate(() =>
      [...document.querySelectorAll('video')].map((v) => `${v.dataset.stream} ${v.videoWidth}x${v.videoHeight}`),
    );
    expect(sizes).toEqual(['road 320x180', 'cabin 160x96']);
    expect((await ended).id).toBe(link.id);
    await page.waitForFunction(
      () => (window as unknown as { ringclipLive: Live }).ringclipLive.ended === 410,
      undefined,
      {
        timeout: 15_000,
      },
    );
    expect((await fetch(`${link.url}/info`)).status).toBe(410);
  });
});
